# Oracle for satmodel issue 14: seminr higher_composite (two_stage, mode A and B) and
# interaction_term (product_indicator, orthogonal, two_stage) on ecsi_satisfaction.
# seminr's R sources (GitHub sem-in-r/seminr, see SOURCE.md) are sourced from $SEMINR_R
# (its DiagrammeR/webp plotting dependencies are not needed for estimation); the
# "seminr::" prefixes are dropped so the sourced functions call each other.
# Run from the repository root:
#   SEMINR_R=/path/to/seminr/R Rscript tests/oracles/seminr_hoc_interaction/seminr_hoc_interaction.R
suppressMessages(library(lavaan))
for (f in list.files(Sys.getenv("SEMINR_R"), pattern = "\\.R$", full.names = TRUE)) {
  eval(parse(text = gsub("seminr::", "", readLines(f), fixed = TRUE)), envir = globalenv())
}
out <- "tests/oracles/seminr_hoc_interaction"
data <- read.csv("src/satmodel/datasets/ecsi_satisfaction.csv")
data$gender <- NULL
tight <- 12  # stop when sum |w_new - w_old| < 1e-12

write_fit <- function(fit, tag) {
  pc <- fit$path_coef
  idx <- which(pc != 0, arr.ind = TRUE)
  paths <- data.frame(source = rownames(pc)[idx[, 1]], target = colnames(pc)[idx[, 2]],
                      estimate = pc[idx])
  w <- fit$outer_weights; l <- fit$outer_loadings
  idx <- which(w != 0, arr.ind = TRUE)
  outer <- data.frame(construct = colnames(w)[idx[, 2]], indicator = rownames(w)[idx[, 1]],
                      weight = w[idx], loading = l[idx])
  write.csv(paths, file.path(out, paste0(tag, "_paths.csv")), row.names = FALSE)
  write.csv(outer, file.path(out, paste0(tag, "_outer.csv")), row.names = FALSE)
}

base <- function() list(
  composite("IMAG", multi_items("IMAG", 1:5)),
  composite("EXPE", multi_items("EXPE", 1:5)),
  composite("QUAL", multi_items("QUAL", 1:5)),
  composite("VAL", multi_items("VAL", 1:4)),
  composite("SAT", multi_items("SAT", 1:4)),
  composite("LOY", multi_items("LOY", 1:4)))

# higher-order: PERF from QUAL and VAL; EXPE -> PERF -> SAT -> LOY, IMAG -> SAT, LOY
hoc_sm <- relationships(
  paths(from = "EXPE", to = "PERF"),
  paths(from = c("PERF", "IMAG"), to = "SAT"),
  paths(from = c("SAT", "IMAG"), to = "LOY"))
for (mode in c("A", "B")) {
  w <- if (mode == "A") mode_A else mode_B
  mm <- do.call(constructs, c(base(), list(higher_composite("PERF", c("QUAL", "VAL"),
                                                           method = two_stage, weights = w))))
  fit <- estimate_pls(data, mm, hoc_sm, inner_weights = path_weighting, maxIt = 1000,
                      stopCriterion = tight)
  write_fit(fit, paste0("hoc_mode", mode))
  write_fit(fit$first_stage_model, paste0("hoc_mode", mode, "_stage1"))
}

# interactions: LOY ~ SAT + IMAG + SAT*IMAG, SAT ~ EXPE + QUAL
int_sm <- relationships(
  paths(from = c("EXPE", "QUAL"), to = "SAT"),
  paths(from = c("SAT", "IMAG", "SAT*IMAG"), to = "LOY"))
for (method in c("product_indicator", "orthogonal", "two_stage")) {
  mm <- do.call(constructs, c(base()[c(1, 2, 3, 5, 6)],
                              list(interaction_term(iv = "SAT", moderator = "IMAG",
                                                    method = get(method), weights = mode_A))))
  fit <- estimate_pls(data, mm, int_sm, inner_weights = path_weighting, maxIt = 1000,
                      stopCriterion = tight)
  write_fit(fit, paste0("int_", method))
}
cat("seminr oracle written\n")
