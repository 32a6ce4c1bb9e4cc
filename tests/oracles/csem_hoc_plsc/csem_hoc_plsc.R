# Oracle for satmodel issue 14: PLSc (consistent PLS) with second-order constructs, cSEM's
# two-stage approach (.approach_2ndorder = "2stage", .disattenuate = TRUE).
# Run from the repository root: Rscript tests/oracles/csem_hoc_plsc/csem_hoc_plsc.R
.libPaths(c("/work/Rlib", .libPaths()))
suppressMessages({library(cSEM); library(lavaan)})
out <- "tests/oracles/csem_hoc_plsc"
options(digits = 17)

# Data (our own): 400 rows drawn by lavaan::simulateData from a population with a
# second-order common factor PERF over EXPE, QUAL, VAL (the real survey data sets give
# inadmissible PLSc solutions: disattenuated construct correlations above 1); rounded to
# 6 decimals and written to data.csv, which both sides read.
pop <- "
IMAG =~ 0.8*IMAG1 + 0.7*IMAG2 + 0.75*IMAG3 + 0.65*IMAG4
EXPE =~ 0.7*EXPE1 + 0.8*EXPE2 + 0.6*EXPE3
QUAL =~ 0.85*QUAL1 + 0.75*QUAL2 + 0.7*QUAL3 + 0.8*QUAL4
VAL =~ 0.8*VAL1 + 0.85*VAL2 + 0.7*VAL3
SAT =~ 0.8*SAT1 + 0.75*SAT2 + 0.85*SAT3
LOY =~ 0.7*LOY1 + 0.8*LOY2 + 0.75*LOY3
PERF =~ 0.8*EXPE + 0.85*QUAL + 0.75*VAL
PERF ~ 0.45*IMAG
SAT ~ 0.5*PERF + 0.25*IMAG
LOY ~ 0.45*SAT + 0.2*IMAG
"
set.seed(20261202)
sim <- round(simulateData(pop, sample.nobs = 400), 6)
write.csv(sim, file.path(out, "data.csv"), row.names = FALSE)
data <- read.csv(file.path(out, "data.csv"))

block <- function(c, k, op = "=~") paste0(c, " ", op, " ", paste0(c, 1:k, collapse = " + "))
measurement <- function(imag) paste(block("IMAG", 4, imag), block("EXPE", 3), block("QUAL", 4),
                                    block("VAL", 3), block("SAT", 3), block("LOY", 3), sep = "\n")
# "reflective": every first-order construct a common factor; PERF =~ EXPE + QUAL + VAL a
# reflective (common-factor) second-order construct of three components.
reflective <- paste(measurement("=~"), "PERF =~ EXPE + QUAL + VAL", "PERF ~ IMAG",
                    "SAT ~ PERF + IMAG", "LOY ~ SAT + IMAG", sep = "\n")
# "composite": PERF <~ QUAL + VAL a second-order composite of two common factors (cSEM's
# third stage, van Riel et al. 2017), IMAG a Mode A composite, the rest common factors.
composite <- paste(measurement("<~"), "PERF <~ QUAL + VAL", "PERF ~ EXPE",
                   "SAT ~ PERF + IMAG", "LOY ~ SAT + IMAG + EXPE", sep = "\n")
models <- list(reflective = list(model = reflective, modes = NULL),
               composite = list(model = composite, modes = list(IMAG = "modeA")))

write_fit <- function(fit, tag) {
  est <- fit$Estimates
  pc <- est$Path_estimates
  idx <- which(pc != 0, arr.ind = TRUE)
  paths <- data.frame(source = colnames(pc)[idx[, 2]], target = rownames(pc)[idx[, 1]],
                      estimate = pc[idx])
  w <- est$Weight_estimates; l <- est$Loading_estimates
  idx <- which(w != 0, arr.ind = TRUE)
  outer <- data.frame(construct = rownames(w)[idx[, 1]], indicator = colnames(w)[idx[, 2]],
                      weight = w[idx], loading = l[idx])
  rel <- data.frame(construct = names(est$Reliabilities), reliability = est$Reliabilities)
  write.csv(paths, file.path(out, paste0(tag, "_paths.csv")), row.names = FALSE)
  write.csv(outer, file.path(out, paste0(tag, "_outer.csv")), row.names = FALSE)
  write.csv(est$Construct_VCV, file.path(out, paste0(tag, "_construct_corr.csv")))
  write.csv(rel, file.path(out, paste0(tag, "_reliabilities.csv")), row.names = FALSE)
}

for (name in names(models)) {
  for (scheme in c("path", "factorial")) {
    m <- models[[name]]
    fit <- csem(data, m$model, .approach_2ndorder = "2stage", .disattenuate = TRUE,
                .PLS_modes = m$modes, .PLS_weight_scheme_inner = scheme, .tolerance = 1e-12,
                .iter_max = 1000, .conv_criterion = "diff_absolute")
    v <- verify(fit)  # admissible in both stages (convergence, loadings, PSD, ...)
    stopifnot(!any(unclass(v$First_stage)), !any(unclass(v$Second_stage)))
    tag <- paste0(name, "_", scheme)
    write_fit(fit$Second_stage, tag)
    write_fit(fit$First_stage, paste0(tag, "_stage1"))
  }
}
cat("cSEM", as.character(packageVersion("cSEM")), "oracle written\n")

# bootstrap standard errors (path scheme): cSEM redoes every stage per resample;
# inadmissible resamples are dropped (cSEM's default .handle_inadmissibles = "drop")
for (name in names(models)) {
  m <- models[[name]]
  boot <- csem(data, m$model, .approach_2ndorder = "2stage", .disattenuate = TRUE,
               .PLS_modes = m$modes, .PLS_weight_scheme_inner = "path", .tolerance = 1e-10,
               .iter_max = 1000, .conv_criterion = "diff_absolute",
               .resample_method = "bootstrap", .R = 1000, .seed = 20261202)
  info <- boot$Second_stage$Information$Resamples$Estimates$Estimates1$Path_estimates
  se <- apply(info$Resampled, 2, sd)
  write.csv(data.frame(path = names(se), se = se, n_resamples = nrow(info$Resampled)),
            file.path(out, paste0(name, "_path_bootstrap_se.csv")), row.names = FALSE)
}
cat("bootstrap written\n")
