# lavaan reference output for the Holzinger-Swineford three-factor CFA (issue 17).
# Run from this folder:  Rscript export_data.R && Rscript make_oracle.R
# Writes parameters.csv and fit.csv (one block of rows per case, see SOURCE.md).
library(lavaan)
d <- read.csv("holzinger_swineford.csv")
model <- paste(readLines("model.lav"), collapse = "\n")
num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

# polish: lavaan's nlminb stops with |gradient| ~ 1e-7; Newton steps on lavaan's own
# gradient and Hessian of its objective, each evaluated by refitting at the new point with
# optim.method = "none", end at |gradient| < 1e-12
polished <- function(...) {
  fit <- cfa(model, data = d, ...)
  for (k in 1:6) {
    g <- lavInspect(fit, "optim.gradient")
    if (max(abs(g)) < 1e-12) break
    pt <- parTable(fit)
    x <- coef(fit) - solve(lavInspect(fit, "hessian"), g)
    pt$est[pt$free > 0] <- x[pt$free[pt$free > 0]]
    pt$start <- pt$est
    fit <- cfa(pt, data = d, ..., optim.method = "none")
  }
  stopifnot(max(abs(lavInspect(fit, "optim.gradient"))) < 1e-10)
  fit
}

cases <- list(
  ML           = list(estimator = "ML"),
  GLS          = list(estimator = "GLS", sample.cov.rescale = TRUE),
  GLS_n1       = list(estimator = "GLS"),
  WLS          = list(estimator = "WLS", sample.cov.rescale = TRUE),
  WLS_n1       = list(estimator = "WLS"),
  ULS_robust   = list(estimator = "ULS", sample.cov.rescale = TRUE, se = "robust.sem"),
  ULS_standard = list(estimator = "ULS", sample.cov.rescale = TRUE, se = "standard"),
  DWLS_robust  = list(estimator = "DWLS", sample.cov.rescale = TRUE, se = "robust.sem"),
  DWLS_standard= list(estimator = "DWLS", sample.cov.rescale = TRUE, se = "standard"),
  ULS_n1       = list(estimator = "ULS", se = "standard")
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
