# Oracle for tests/test_studentized.py: cSEM's studentized ("CI_t_interval") bootstrap
# intervals computed by cSEM itself on fixed resamples (satmodel's, in counts.csv:
# B = 40 outer resamples of the first 60 ECSI rows, each followed by 30 inner resamples).
# Every resample is estimated by cSEM's csem(); the intervals come from cSEM's own
# TStatCIResample() (what infer(.quantity = "CI_t_interval") calls), with
# .bias_corrected = FALSE (the textbook interval) and TRUE (cSEM's default).
# Run from this folder: Rscript make_oracle.R  (about a minute)
.libPaths(c("/work/Rlib", .libPaths()))
suppressPackageStartupMessages(library(cSEM))
data <- read.csv("../../../src/satmodel/datasets/ecsi_satisfaction.csv")[1:60, ]
data$gender <- NULL
model <- "
IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4
SAT  =~ SAT1 + SAT2 + SAT3
LOY  =~ LOY1 + LOY2 + LOY3
SAT ~ IMAG
LOY ~ IMAG + SAT
"
counts <- read.csv("counts.csv")
rcols <- grep("^r[0-9]+$", names(counts))
B <- max(counts$b) + 1
M <- max(counts$j)

estimates <- function(rows) {
  res <- csem(data[rows, ], model, .disattenuate = FALSE, .tolerance = 1e-12, .iter_max = 1000)
  stopifnot(sum(unlist(verify(res))) == 0)
  e <- res$Estimates
  pick <- function(m, op) {
    idx <- which(m != 0, arr.ind = TRUE)
    idx <- idx[order(idx[, 1], idx[, 2]), , drop = FALSE]
    v <- m[idx]
    names(v) <- paste(rownames(m)[idx[, 1]], op, colnames(m)[idx[, 2]])
    v
  }
  list(Path_estimates = pick(e$Path_estimates, "~"),
       Loading_estimates = pick(e$Loading_estimates, "=~"),
       Weight_estimates = pick(e$Weight_estimates, "<~"))
}
rows_of <- function(k) rep(seq_len(60), times = as.integer(counts[k, rcols]))

original <- estimates(seq_len(60))
quantities <- names(original)
fits <- lapply(seq_len(nrow(counts)), function(k) estimates(rows_of(k)))
stack <- function(ks, q) do.call(rbind, lapply(ks, function(k) fits[[k]][[q]]))
outer_k <- which(counts$j == 0)
first <- lapply(quantities, function(q) list(Resampled = stack(outer_k, q), Original = original[[q]]))
names(first) <- quantities
second <- lapply(0:(B - 1), function(b) {
  ks <- which(counts$b == b & counts$j > 0)
  out <- lapply(quantities, function(q) list(Resampled = stack(ks, q), Original = fits[[outer_k[b + 1]]][[q]]))
  names(out) <- quantities
  out
})
probs <- c(0.05 / 2, 1 - 0.05 / 2)
ci <- lapply(c(FALSE, TRUE), function(bc) cSEM:::TStatCIResample(
  .first_resample = first, .second_resample = second, .bias_corrected = bc,
  .resample_method = "bootstrap", .resample_method2 = "bootstrap", .n = 60, .probs = probs))
sd_outer <- cSEM:::SdResample(first, .resample_method = "bootstrap", .n = 60)
out <- do.call(rbind, lapply(quantities, function(q) data.frame(
  quantity = q, name = names(original[[q]]), estimate = unname(original[[q]]),
  se = unname(sd_outer[[q]]),
  lower_textbook = unname(ci[[1]][[q]][1, ]), upper_textbook = unname(ci[[1]][[q]][2, ]),
  lower_csem = unname(ci[[2]][[q]][1, ]), upper_csem = unname(ci[[2]][[q]][2, ]))))
write.csv(out, "intervals.csv", row.names = FALSE)
# the studentized draws t*_b = (theta*_b - theta_hat) / SE*_b, for a finer check
sd_inner <- lapply(quantities, function(q) do.call(rbind, lapply(second, function(s)
  matrixStats::colSds(s[[q]]$Resampled))))
names(sd_inner) <- quantities
tstar <- do.call(cbind, lapply(quantities, function(q)
  t((t(first[[q]]$Resampled) - original[[q]])) / sd_inner[[q]]))
write.csv(tstar, "tstar.csv", row.names = FALSE)
writeLines(c(R.version.string, paste("cSEM", packageVersion("cSEM")),
             paste("matrixStats", packageVersion("matrixStats"))), "versions.txt")
