# Oracle for satmodel issue 14, companion of csem_hoc_plsc.R (same data.csv, same settings,
# no bootstrap): PLSc second-order models whose components mix composites and common factors.
# Run from the repository root: Rscript tests/oracles/csem_hoc_plsc/csem_hoc_plsc_mixed.R
.libPaths(c("/work/Rlib", .libPaths()))
suppressMessages(library(cSEM))
out <- "tests/oracles/csem_hoc_plsc"
data <- read.csv(file.path(out, "data.csv"))

block <- function(c, k, op = "=~") paste0(c, " ", op, " ", paste0(c, 1:k, collapse = " + "))
# "mixed": PERF =~ EXPE + QUAL + VAL a common factor over a Mode A composite (QUAL) and two
# common factors (a component reliability of 1 next to rho_A's).
mixed <- paste(block("IMAG", 4), block("EXPE", 3), block("QUAL", 4, "<~"), block("VAL", 3),
               block("SAT", 3), block("LOY", 3), "PERF =~ EXPE + QUAL + VAL", "PERF ~ IMAG",
               "SAT ~ PERF + IMAG", "LOY ~ SAT + IMAG", sep = "\n")
# "composites": PERF <~ QUAL + VAL a composite of two Mode A composites (no third stage)
# in a model whose other constructs are common factors.
composites <- paste(block("IMAG", 4), block("EXPE", 3), block("QUAL", 4, "<~"),
                    block("VAL", 3, "<~"), block("SAT", 3), block("LOY", 3),
                    "PERF <~ QUAL + VAL", "PERF ~ EXPE", "SAT ~ PERF + IMAG",
                    "LOY ~ SAT + IMAG + EXPE", sep = "\n")
models <- list(mixed = list(model = mixed, modes = list(QUAL = "modeA")),
               composites = list(model = composites, modes = list(QUAL = "modeA", VAL = "modeA")))

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
  m <- models[[name]]
  fit <- csem(data, m$model, .approach_2ndorder = "2stage", .disattenuate = TRUE,
              .PLS_modes = m$modes, .PLS_weight_scheme_inner = "path", .tolerance = 1e-12,
              .iter_max = 1000, .conv_criterion = "diff_absolute")
  v <- verify(fit)
  stopifnot(!any(unclass(v$First_stage)), !any(unclass(v$Second_stage)))
  write_fit(fit$Second_stage, paste0(name, "_path"))
  write_fit(fit$First_stage, paste0(name, "_path_stage1"))
}
cat("cSEM", as.character(packageVersion("cSEM")), "mixed oracle written\n")
