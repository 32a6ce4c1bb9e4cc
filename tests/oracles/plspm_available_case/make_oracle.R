# R plspm available-case ("pairwise NIPALS") estimates on the shipped ECSI satisfaction data
# with ~7 % of the item cells deleted at random, plus the same fit on the complete data.
# Run from this folder:  Rscript make_oracle.R  (needs tester and turner in /work/Rlib and the
# plspm sources at PLSPM_SRC; see SOURCE.md).  plspm's own R files are *sourced*, not installed:
# its plotting import 'diagram' is not available here and no plotting function is used.
.libPaths(c("/work/Rlib", .libPaths()))
library(tester); library(turner)
src <- Sys.getenv("PLSPM_SRC", "/tmp/src_plspm/R")
env <- new.env()
for (f in list.files(src, pattern = "\\.r$", full.names = TRUE)) sys.source(f, envir = env)

full <- read.csv("../../../src/satmodel/datasets/ecsi_satisfaction.csv")
items <- setdiff(names(full), "gender")
lvs <- c("IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY")
blocks <- lapply(lvs, function(b) grep(paste0("^", b, "[0-9]$"), items, value = TRUE))
P <- matrix(0, 6, 6, dimnames = list(lvs, lvs))
P["EXPE", "IMAG"] <- 1; P["QUAL", "EXPE"] <- 1; P["VAL", c("EXPE", "QUAL")] <- 1
P["SAT", c("IMAG", "EXPE", "QUAL", "VAL")] <- 1; P["LOY", c("IMAG", "SAT")] <- 1

set.seed(20261202)
X <- full[, items]
holes <- matrix(runif(nrow(X) * ncol(X)) < 0.07, nrow(X))
X[holes] <- NA
stopifnot(all(rowSums(!is.na(X)) > 0))
write.csv(X, "ecsi_satisfaction_holes.csv", row.names = FALSE, na = "")

# scaling = all "num": plspm's non-metric route, the only one that accepts NA (available-case
# NIPALS); on complete data it is ordinary standardized Mode A PLS.
fit <- function(D) {
  sc <- lapply(blocks, function(b) rep("num", length(b)))
  env$plspm(D, P, blocks, modes = rep("A", 6), scaling = sc, scheme = "centroid",
            tol = 1e-12, maxiter = 10000)
}
out <- function(res, tag) {
  om <- res$outer_model
  o <- data.frame(construct = om$block, indicator = om$name, weight = om$weight,
                  loading = om$loading)
  write.csv(format(o, digits = 17), paste0("outer_", tag, ".csv"), row.names = FALSE, quote = FALSE)
  idx <- which(P == 1, arr.ind = TRUE)
  p <- data.frame(source = lvs[idx[, 2]], target = lvs[idx[, 1]], estimate = res$path_coefs[idx])
  write.csv(format(p, digits = 17), paste0("paths_", tag, ".csv"), row.names = FALSE, quote = FALSE)
  cat(tag, "iterations:", res$model$iter, "\n")
}
out(fit(full[, items]), "complete")
out(fit(X), "available")
cat("missing cells:", sum(holes), "of", length(holes), "\n")
cat(R.version.string, "\n")
