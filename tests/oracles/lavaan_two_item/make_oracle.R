# Reference output of lavaan for a model with two two-item constructs (VAL exogenous,
# LOY endogenous) on satmodel's shipped ecsi_satisfaction data. Run from this folder:
#   Rscript make_oracle.R
# Writes parameters.csv and fit.csv (see SOURCE.md).
library(lavaan)
data <- read.csv("../../../src/satmodel/datasets/ecsi_satisfaction.csv")
model <- paste(readLines("model.lav"), collapse = "\n")
fit <- sem(model, data = data, estimator = "ML", std.lv = FALSE,
           information = "expected", se = "standard")
stopifnot(lavInspect(fit, "converged"))
pe <- parameterEstimates(fit, standardized = TRUE)
num <- function(x) ifelse(is.na(x), "NA", sprintf("%.15g", x))
out <- data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, estimate = num(pe$est),
                  se = num(ifelse(pe$se == 0, NA, pe$se)),  # fixed parameters: NA
                  std_all = num(pe$std.all))
write.csv(out, "parameters.csv", row.names = FALSE, quote = FALSE)
keep <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
          "rmsea.ci.upper", "srmr", "logl", "aic", "bic")
fm <- fitMeasures(fit, keep)
write.csv(data.frame(measure = names(fm), value = num(unname(fm))),
          "fit.csv", row.names = FALSE, quote = FALSE)
cat("lavaan", as.character(packageVersion("lavaan")), "R", R.version.string, "\n")
cat("iterations", lavInspect(fit, "iterations"), "\n")
