# lavaan oracle: a second-order factor (PERF =~ CUEX + PERQ + PERV) that is both outcome and
# predictor, on satmodel's shipped ecsi_mobi data; := indirect effects; semTools' omega_L2.
# Case "cov" (model_cov.lav, files *_cov.csv): the same model with a covariance between the
# disturbances of two components (CUEX ~~ PERV), no := lines.
# Run from this folder:  Rscript make_oracle.R   (see SOURCE.md)
suppressMessages({library(lavaan); library(semTools)})
data <- read.csv("../../../src/satmodel/datasets/ecsi_mobi.csv")
num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

# nlminb stops ~1e-6 short: Newton steps on lavaan's own gradient and Hessian (refitting at
# the new point with optim.method = "none") until max |gradient| < 1e-12
polished <- function(model, ...) {
  fit <- sem(model, data = data, ...)
  for (k in 1:8) {
    g <- lavInspect(fit, "optim.gradient")
    if (max(abs(g)) < 1e-12) break
    pt <- parTable(fit)
    x <- coef(fit) - solve(lavInspect(fit, "hessian"), g)
    pt$est[pt$free > 0] <- x[pt$free[pt$free > 0]]
    pt$start <- pt$est
    fit <- sem(pt, data = data, ..., optim.method = "none")
  }
  stopifnot(max(abs(lavInspect(fit, "optim.gradient"))) < 1e-10)
  fit
}
for (suffix in c("", "_cov")) {
  fit <- polished(paste(readLines(paste0("model", suffix, ".lav")), collapse = "\n"),
                  estimator = "ML", likelihood = "normal", information = "expected")
  cat("max|gradient|", max(abs(lavInspect(fit, "optim.gradient"))), "\n")
  pe <- parameterEstimates(fit, standardized = TRUE)
  write.csv(data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, estimate = num(pe$est),
                       se = num(ifelse(pe$se == 0, NA, pe$se)), std_all = num(pe$std.all)),
            paste0("parameters", suffix, ".csv"), row.names = FALSE, quote = FALSE)
  fm <- fitMeasures(fit)
  write.csv(data.frame(measure = names(fm), value = num(unname(fm))),
            paste0("fit", suffix, ".csv"), row.names = FALSE, quote = FALSE)
  r2 <- lavInspect(fit, "r2")
  write.csv(data.frame(variable = names(r2), r2 = num(unname(r2))),
            paste0("r2", suffix, ".csv"), row.names = FALSE, quote = FALSE)
  rel <- reliabilityL2(fit, "PERF")
  # semTools' omega_L2 formula, (sum g)^2 var(PERF) / ((sum g)^2 var(PERF) + sum of the
  # components' disturbance (co)variances), on the completely standardized solution: the
  # share of the variance of the sum of the standardized components that PERF explains,
  # (sum g)^2 / sum(cor.lv[components, components]) (g the std.all second-order loadings; the
  # disturbance covariances enter scaled by the components' total SDs, not as lavaan's std.all
  # disturbance correlations); satmodel reports it as PERF's rho_c. And the AVE, mean g^2.
  comps <- c("CUEX", "PERQ", "PERV")
  g <- lavInspect(fit, "std")$beta[comps, "PERF"]
  omega_std <- sum(g)^2 / sum(lavInspect(fit, "cor.lv")[comps, comps])
  rel <- c(rel, omegaL2_std = omega_std, ave_std = mean(g^2))
  write.csv(data.frame(measure = names(rel), value = num(unname(rel))),
            paste0("reliability_l2", suffix, ".csv"), row.names = FALSE, quote = FALSE)
  print(rel)
  print(fm[c("chisq", "df", "cfi", "rmsea")])
}
cat("lavaan", as.character(packageVersion("lavaan")), "semTools",
    as.character(packageVersion("semTools")), R.version.string, "\n")
