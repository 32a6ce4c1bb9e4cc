# Bootstrap oracle (issue 14 part 4): seminr's estimator redone on R resamples of the rows,
# as seminr's bootstrap_model does per resample (its parallel cluster needs the installed
# package, so the loop runs here, sequentially, with the same per-resample call). Standard
# errors of the paths and of seminr-style specific indirect effects (products of the path
# draws, as specific_effect_significance computes them).
# Run from the repository root:
#   SEMINR_R=<seminr checkout>/R Rscript tests/oracles/seminr_hoc_interaction/seminr_bootstrap.R
suppressMessages(library(lavaan))
for (f in list.files(Sys.getenv("SEMINR_R"), pattern = "\\.R$", full.names = TRUE)) {
  eval(parse(text = gsub("seminr::", "", readLines(f), fixed = TRUE)), envir = globalenv())
}
out <- "tests/oracles/seminr_hoc_interaction"
data <- read.csv("src/satmodel/datasets/ecsi_satisfaction.csv")
data$gender <- NULL
B <- 1000
base <- function() list(
  composite("IMAG", multi_items("IMAG", 1:5)), composite("EXPE", multi_items("EXPE", 1:5)),
  composite("QUAL", multi_items("QUAL", 1:5)), composite("VAL", multi_items("VAL", 1:4)),
  composite("SAT", multi_items("SAT", 1:4)), composite("LOY", multi_items("LOY", 1:4)))

boot_paths <- function(mm, sm, tag, chains) {
  set.seed(20261202)
  draws <- NULL
  for (b in 1:B) {
    d <- data[sample.int(nrow(data), replace = TRUE), ]
    fit <- suppressMessages(estimate_pls(d, mm, sm, inner_weights = path_weighting))
    pc <- fit$path_coef
    if (is.null(draws)) idx <- which(pc != 0, arr.ind = TRUE)
    row <- c(pc[idx], sapply(chains, function(ch) prod(pc[cbind(ch[-length(ch)], ch[-1])])))
    draws <- rbind(draws, row)
  }
  fit <- suppressMessages(estimate_pls(data, mm, sm, inner_weights = path_weighting))
  pc <- fit$path_coef
  paths <- data.frame(source = rownames(pc)[idx[, 1]], target = colnames(pc)[idx[, 2]],
                      through = "", estimate = pc[idx])
  ind <- data.frame(source = sapply(chains, `[`, 1), target = sapply(chains, function(ch) ch[length(ch)]),
                    through = sapply(chains, function(ch) paste(ch[-c(1, length(ch))], collapse = " -> ")),
                    estimate = sapply(chains, function(ch) prod(pc[cbind(ch[-length(ch)], ch[-1])])))
  res <- rbind(paths, ind)
  res$se <- apply(draws, 2, sd)
  res$n_resamples <- B
  write.csv(res, file.path(out, paste0(tag, "_bootstrap_se.csv")), row.names = FALSE)
}

hoc_sm <- relationships(paths(from = "EXPE", to = "PERF"), paths(from = c("PERF", "IMAG"), to = "SAT"),
                        paths(from = c("SAT", "IMAG"), to = "LOY"))
mm <- do.call(constructs, c(base(), list(higher_composite("PERF", c("QUAL", "VAL"),
                                                         method = two_stage, weights = mode_A))))
boot_paths(mm, hoc_sm, "hoc_modeA", list(c("EXPE", "PERF", "SAT"), c("EXPE", "PERF", "SAT", "LOY"),
                                         c("PERF", "SAT", "LOY"), c("IMAG", "SAT", "LOY")))

int_sm <- relationships(paths(from = c("EXPE", "QUAL"), to = "SAT"),
                        paths(from = c("SAT", "IMAG", "SAT*IMAG"), to = "LOY"))
mm <- do.call(constructs, c(base()[c(1, 2, 3, 5, 6)],
                            list(interaction_term(iv = "SAT", moderator = "IMAG",
                                                  method = two_stage, weights = mode_A))))
boot_paths(mm, int_sm, "int_two_stage", list(c("QUAL", "SAT", "LOY")))
cat("seminr bootstrap written\n")
