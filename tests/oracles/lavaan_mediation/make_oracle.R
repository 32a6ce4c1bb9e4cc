# lavaan oracle: specific and total indirect effects (:=) of a mediation model with direct
# paths on satmodel's shipped ecsi_satisfaction data, with bootstrap standard errors of the
# standardized indirect and direct effects. Run from this folder: Rscript make_oracle.R
suppressMessages(library(lavaan))
data <- read.csv("../../../src/satmodel/datasets/ecsi_satisfaction.csv")
data$gender <- NULL
model <- paste(readLines("model.lav"), collapse = "\n")
num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
B <- 2000

polished <- function(...) {  # as lavaan_hoc: Newton steps until max |gradient| < 1e-12
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
fit <- polished(estimator = "ML", likelihood = "normal", information = "expected")
cat("max|gradient|", max(abs(lavInspect(fit, "optim.gradient"))), "\n")
pe <- parameterEstimates(fit, standardized = TRUE)
write.csv(data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, label = pe$label,
                     estimate = num(pe$est), se = num(ifelse(pe$se == 0, NA, pe$se)),
                     std_all = num(pe$std.all)),
          "parameters.csv", row.names = FALSE, quote = FALSE)
fm <- fitMeasures(fit)
write.csv(data.frame(measure = names(fm), value = num(unname(fm))), "fit.csv",
          row.names = FALSE, quote = FALSE)

# bootstrap of the standardized (std.all) direct paths and the products along each chain
std_effects <- function(f) {
  s <- lavInspect(f, "std")$beta
  a <- s["QUAL", "IMAG"]; b <- s["SAT", "QUAL"]; c <- s["SAT", "IMAG"]
  d <- s["LOY", "SAT"]; e <- s["LOY", "IMAG"]
  c(a = a, b = b, c = c, d = d, e = e, ind_IMAG_QUAL_SAT = a * b,
    ind_IMAG_QUAL_SAT_LOY = a * b * d, ind_IMAG_SAT_LOY = c * d,
    tot_IMAG_LOY = a * b * d + c * d, ind_QUAL_SAT_LOY = b * d)
}
set.seed(20261202)
t0 <- proc.time()[["elapsed"]]
# from an ordinary (unpolished) fit: the polished one carries optim.method = "none",
# which bootstrapLavaan would reuse on every resample
plain <- sem(model, data = data, estimator = "ML", likelihood = "normal", information = "expected")
draws <- bootstrapLavaan(plain, R = B, type = "ordinary", FUN = std_effects)
cat("bootstrap seconds", proc.time()[["elapsed"]] - t0, "\n")
n_nonadmissible <- length(attr(draws, "nonadmissible"))  # kept in the draws, as lavaan does
ok <- complete.cases(draws)
draws <- draws[ok, , drop = FALSE]
kurt <- function(x) mean((x - mean(x))^4) / mean((x - mean(x))^2)^2
q <- function(x, p) unname(quantile(x, p, type = 7))
est <- std_effects(fit)
write.csv(data.frame(name = names(est), estimate = num(est), boot_se = num(apply(draws, 2, sd)),
                     kurtosis = num(apply(draws, 2, kurt)),
                     ci_lower = num(apply(draws, 2, q, 0.025)),
                     ci_upper = num(apply(draws, 2, q, 0.975)), n_valid = nrow(draws)),
          "bootstrap.csv", row.names = FALSE, quote = FALSE)
print(read.csv("bootstrap.csv"))
cat("lavaan", as.character(packageVersion("lavaan")), R.version.string, "B", B,
    "valid", nrow(draws), "nonadmissible", n_nonadmissible, "\n")
