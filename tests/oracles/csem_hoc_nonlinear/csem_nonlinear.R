# Oracle for satmodel issue 14: cSEM nonlinear (interaction) models of composites.
# Run from the repository root: Rscript tests/oracles/csem_hoc_nonlinear/csem_nonlinear.R
.libPaths(c("/work/Rlib", .libPaths()))
suppressMessages(library(cSEM))
out <- "tests/oracles/csem_hoc_nonlinear"
data <- read.csv("src/satmodel/datasets/ecsi_satisfaction.csv")
data$gender <- NULL
items <- function(c, k) paste0(c, " <~ ", paste0(c, 1:k, collapse = " + "))
modes <- list(IMAG = "modeA", EXPE = "modeA", QUAL = "modeA", SAT = "modeA", LOY = "modeA")
measurement <- paste(items("IMAG", 5), items("EXPE", 5), items("QUAL", 5), items("SAT", 4),
                     items("LOY", 4), sep = "\n")
models <- list(
  one = "SAT ~ EXPE + QUAL\nLOY ~ SAT + IMAG + SAT.IMAG",
  two = "SAT ~ EXPE + QUAL + EXPE.QUAL\nLOY ~ SAT + IMAG + SAT.IMAG")
for (tag in names(models)) {
  fit <- csem(data, paste(measurement, models[[tag]], sep = "\n"), .PLS_modes = modes,
              .disattenuate = FALSE, .tolerance = 1e-12, .iter_max = 1000)
  est <- fit$Estimates
  pc <- est$Path_estimates
  idx <- which(pc != 0, arr.ind = TRUE)
  write.csv(data.frame(source = colnames(pc)[idx[, 2]], target = rownames(pc)[idx[, 1]],
                       estimate = pc[idx]), file.path(out, paste0(tag, "_paths.csv")), row.names = FALSE)
  w <- est$Weight_estimates; l <- est$Loading_estimates
  idx <- which(w != 0, arr.ind = TRUE)
  write.csv(data.frame(construct = rownames(w)[idx[, 1]], indicator = colnames(w)[idx[, 2]],
                       weight = w[idx], loading = l[idx]),
            file.path(out, paste0(tag, "_outer.csv")), row.names = FALSE)
  write.csv(data.frame(construct = names(est$R2), r2 = est$R2),
            file.path(out, paste0(tag, "_r2.csv")), row.names = FALSE)
}
# bootstrap standard errors of model one (cSEM refits every resample)
boot <- csem(data, paste(measurement, models$one, sep = "\n"), .PLS_modes = modes,
             .disattenuate = FALSE, .tolerance = 1e-10, .iter_max = 1000,
             .resample_method = "bootstrap", .R = 1000, .seed = 20261202)
info <- boot$Estimates$Estimates_resample$Estimates1$Path_estimates
write.csv(data.frame(path = colnames(info$Resampled), se = apply(info$Resampled, 2, sd),
                     n_resamples = nrow(info$Resampled)),
          file.path(out, "one_bootstrap_se.csv"), row.names = FALSE)
cat("cSEM", as.character(packageVersion("cSEM")), "nonlinear oracle written\n")
