# Oracle for satmodel issue 14: cSEM second-order constructs, .approach_2ndorder = "2stage"
# (disjoint two-stage; first stage: all first-order constructs in a saturated structural
# model; second stage: the other constructs measured by their first-stage scores).
# Run from the repository root: Rscript tests/oracles/csem_hoc_two_stage/csem_hoc_two_stage.R
.libPaths(c("/work/Rlib", .libPaths()))
suppressMessages(library(cSEM))
out <- "tests/oracles/csem_hoc_two_stage"
data <- read.csv("src/satmodel/datasets/ecsi_satisfaction.csv")
data$gender <- NULL

# composites ('<~') with Mode A weights for the first-order constructs (.PLS_modes); the
# second-order PERF '<~' is a Mode B composite (cSEM's second stage uses default modes, and
# a '=~' second-order construct would be a PLSc common factor)
items <- function(c, k) paste0(c, " <~ ", paste0(c, 1:k, collapse = " + "))
modes <- list(IMAG = "modeA", EXPE = "modeA", QUAL = "modeA", VAL = "modeA", SAT = "modeA",
              LOY = "modeA")
measurement <- paste(items("IMAG", 5), items("EXPE", 5), items("QUAL", 5), items("VAL", 4),
                     items("SAT", 4), items("LOY", 4), sep = "\n")
structural <- "PERF ~ EXPE\nSAT ~ PERF + IMAG\nLOY ~ SAT + IMAG"

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
  write.csv(paths, file.path(out, paste0(tag, "_paths.csv")), row.names = FALSE)
  write.csv(outer, file.path(out, paste0(tag, "_outer.csv")), row.names = FALSE)
}

for (scheme in c("path", "factorial")) {
  model <- paste(measurement, "PERF <~ QUAL + VAL", structural, sep = "\n")
  fit <- csem(data, model, .approach_2ndorder = "2stage", .disattenuate = FALSE,
              .PLS_modes = modes, .PLS_weight_scheme_inner = scheme, .tolerance = 1e-12,
              .iter_max = 1000, .conv_criterion = "diff_absolute")
  tag <- paste0("modeB_", scheme)
  write_fit(fit$Second_stage, tag)
  write_fit(fit$First_stage, paste0(tag, "_stage1"))
}
cat("cSEM", as.character(packageVersion("cSEM")), "oracle written\n")

# bootstrap standard errors of the path-scheme model: cSEM redoes both stages per resample
set.seed(20261202)
model <- paste(measurement, "PERF <~ QUAL + VAL", structural, sep = "\n")
boot <- csem(data, model, .approach_2ndorder = "2stage", .disattenuate = FALSE,
             .PLS_modes = modes, .PLS_weight_scheme_inner = "path", .tolerance = 1e-10,
             .iter_max = 1000, .conv_criterion = "diff_absolute",
             .resample_method = "bootstrap", .R = 1000, .seed = 20261202)
info <- boot$Second_stage$Information$Resamples$Estimates$Estimates1$Path_estimates
se <- apply(info$Resampled, 2, sd)
write.csv(data.frame(path = names(se), se = se, n_resamples = nrow(info$Resampled)),
          file.path(out, "modeB_path_bootstrap_se.csv"), row.names = FALSE)
cat("bootstrap written\n")
