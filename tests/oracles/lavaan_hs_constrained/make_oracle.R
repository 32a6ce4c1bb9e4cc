# lavaan reference output for two Holzinger-Swineford models with fixed parameters,
# residual covariances and a construct linked only by a covariance (issue 17).
# Run from this folder:  Rscript make_oracle.R   (data: ../lavaan_hs_cfa/holzinger_swineford.csv)
# Writes parameters.csv and fit.csv (one block of rows per case, see SOURCE.md).
library(lavaan)
d <- read.csv("../lavaan_hs_cfa/holzinger_swineford.csv")
num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
read_model <- function(file) paste(readLines(file), collapse = "\n")

# polish: lavaan's nlminb stops with |gradient| ~ 1e-7; Newton steps on lavaan's own
# gradient and Hessian of its objective, each evaluated by refitting at the new point with
# optim.method = "none", end at |gradient| < 1e-12
polished <- function(model, ...) {
  fit <- sem(model, data = d, ...)
  for (k in 1:6) {
    g <- lavInspect(fit, "optim.gradient")
    if (max(abs(g)) < 1e-12) break
    pt <- parTable(fit)
    x <- coef(fit) - solve(lavInspect(fit, "hessian"), g)
    pt$est[pt$free > 0] <- x[pt$free[pt$free > 0]]
    pt$start <- pt$est
    fit <- sem(pt, data = d, ..., optim.method = "none")
  }
  stopifnot(max(abs(lavInspect(fit, "optim.gradient"))) < 1e-10)
  fit
}

cases <- list(
  fixed_ML  = list(model = read_model("model_fixed.lav"), estimator = "ML"),
  fixed_GLS = list(model = read_model("model_fixed.lav"), estimator = "GLS",
                   sample.cov.rescale = TRUE),
  linked_ML = list(model = read_model("model_linked.lav"), estimator = "ML"),
  outcomes_ML = list(model = read_model("model_outcomes.lav"), estimator = "ML"),
  outcomes_ML_orthogonal = list(model = read_model("model_outcomes.lav"), estimator = "ML",
                                orthogonal.y = TRUE),
  marker_ML = list(model = read_model("model_marker.lav"), estimator = "ML")
)
pars <- list(); fits <- list()
for (name in names(cases)) {
  fit <- do.call(polished, cases[[name]])
  pe <- parameterEstimates(fit, standardized = TRUE)
  pars[[name]] <- data.frame(case = name, lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                             estimate = num(pe$est), se = num(ifelse(pe$se == 0, NA, pe$se)),
                             std_all = num(pe$std.all))
  fm <- fitMeasures(fit)
  fits[[name]] <- data.frame(case = name, measure = names(fm), value = num(unname(fm)))
  cat(name, "max|gradient|",
      max(abs(lavInspect(fit, "optim.gradient"))), "\n")
}
write.csv(do.call(rbind, pars), "parameters.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, fits), "fit.csv", row.names = FALSE, quote = FALSE)
cat("lavaan", as.character(packageVersion("lavaan")), R.version.string, "\n")
