# Reference outputs of cSEM's testMGD() confidence-interval approaches "CI_para" and
# "CI_overlap" (Sarstedt, Henseler & Ringle 2011) for satmodel's tests
# (tests/test_grouped_mga_ci.py). Run from anywhere:
#   Rscript tests/oracles/csem_mga_ci/make_oracle.R
# Needs R and cSEM (see SOURCE.md for versions and how cSEM was installed). About 3 minutes.
.libPaths(c("/work/Rlib", .libPaths()))
suppressPackageStartupMessages(library(cSEM))

R_FORMULA <- 199      # bootstrap draws per group of the formula runs (draws exported)
R_MAIN    <- 1000     # bootstrap draws per group of the end-to-end run (two groups)
SEED_FORMULA <- 20240612
SEED_MAIN    <- 20240614

args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", "..", ".."))
d <- read.csv(file.path(root, "src", "satmodel", "datasets", "ecsi_satisfaction.csv"))

model <- "
EXPE ~ IMAG
QUAL ~ EXPE
VAL  ~ EXPE + QUAL
SAT  ~ IMAG + EXPE + QUAL + VAL
LOY  ~ IMAG + SAT
IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
EXPE =~ EXPE1 + EXPE2 + EXPE3 + EXPE4 + EXPE5
QUAL =~ QUAL1 + QUAL2 + QUAL3 + QUAL4 + QUAL5
VAL  =~ VAL1 + VAL2 + VAL3 + VAL4
SAT  =~ SAT1 + SAT2 + SAT3 + SAT4
LOY  =~ LOY1 + LOY2 + LOY3 + LOY4
"
paths_only <- "
EXPE ~ IMAG
QUAL ~ EXPE
VAL  ~ EXPE + QUAL
SAT  ~ IMAG + EXPE + QUAL + VAL
LOY  ~ IMAG + SAT
"
items <- setdiff(names(d), "gender")
groups <- list(
  gender = d$gender,                                   # female (148), male (102)
  three = {                                            # as tests/oracles/csem_mga_three
    k <- cumsum(d$gender == "female")
    ifelse(d$gender == "male", "male", ifelse(k %% 2 == 1, "female_a", "female_b"))
  })

num <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", x))
out <- function(df, name) {
  isnum <- vapply(df, is.numeric, logical(1))
  df[isnum] <- lapply(df[isnum], num)
  write.csv(df, file.path(here, name), row.names = FALSE, na = "")
}

# one long table: comparison, name, the groups' estimates and bounds, cSEM's Decision
# (TRUE = no difference), from testMGD's CI_para / CI_overlap output at alpha = .05
ci_tables <- function(mgd, group_names) {
  pairs <- utils::combn(group_names, 2, simplify = FALSE)  # cSEM's comparison order
  rows <- list()
  for (approach in c("CI_para", "CI_overlap")) {
    dec <- mgd[[approach]]$Decision[["95%"]]
    for (i in seq_along(dec)) {
      cmp <- names(dec)[i]
      g <- pairs[[i]]
      stopifnot(cmp == paste0(g[1], "_", g[2]))
      x <- dec[[cmp]][["CI_percentile"]]
      # cSEM's column names carry the group names; store them by role instead
      lb_1 <- x[[paste0("lb_", g[1])]]; ub_1 <- x[[paste0("ub_", g[1])]]
      lb_2 <- x[[paste0("lb_", g[2])]]; ub_2 <- x[[paste0("ub_", g[2])]]
      rows[[length(rows) + 1]] <- data.frame(
        approach = approach, comparison = cmp, group_1 = g[1], group_2 = g[2], name = x$Name,
        lb_1 = lb_1, ub_1 = ub_1, lb_2 = lb_2, ub_2 = ub_2, no_difference = x$Decision)
    }
    overall <- mgd[[approach]]$Decision_overall[["95%"]][["CI_percentile"]]
    rows[[length(rows) + 1]] <- data.frame(
      approach = approach, comparison = "overall", group_1 = NA, group_2 = NA, name = NA,
      lb_1 = NA, ub_1 = NA, lb_2 = NA, ub_2 = NA, no_difference = isTRUE(overall))
  }
  do.call(rbind, rows)
}

for (case in names(groups)) {
  data_list <- split(d[, items], groups[[case]])
  fit <- csem(data_list, model, .disattenuate = FALSE, .tolerance = 1e-12, .iter_max = 1000)
  stopifnot(sum(unlist(verify(fit))) == 0)

  ## formula run: paths only, draws exported -------------------------------------
  set.seed(1)  # cSEM reads .Random.seed before setting its own seed
  small <- testMGD(fit, .approach_mgd = c("CI_para", "CI_overlap"),
                   .parameters_to_compare = paths_only, .R_bootstrap = R_FORMULA,
                   .seed = SEED_FORMULA, .type_ci = "CI_percentile", .verbose = FALSE)
  out(ci_tables(small, names(data_list)), paste0("formula_ci_", case, ".csv"))
  bs <- resamplecSEMResults(fit, .resample_method = "bootstrap",
                            .handle_inadmissibles = "replace", .R = R_FORMULA,
                            .seed = SEED_FORMULA)
  draws <- do.call(rbind, lapply(names(bs), function(g) {
    r <- bs[[g]]$Estimates$Estimates_resample$Estimates1$Path_estimates$Resampled
    data.frame(group = g, draw = seq_len(nrow(r)), r, check.names = FALSE)
  }))
  out(draws, paste0("formula_draws_", case, ".csv"))
  s <- summarize(fit)
  est <- do.call(rbind, lapply(names(s), function(g) {
    e <- s[[g]]$Estimates$Path_estimates
    data.frame(group = g, name = e$Name, estimate = e$Estimate)
  }))
  out(est, paste0("path_estimates_", case, ".csv"))

  ## end-to-end run: every parameter, two groups only ----------------------------
  if (case == "gender") {
    set.seed(1)
    main <- testMGD(fit, .approach_mgd = c("CI_para", "CI_overlap"), .R_bootstrap = R_MAIN,
                    .seed = SEED_MAIN, .type_ci = "CI_percentile", .verbose = FALSE)
    out(ci_tables(main, names(data_list)), "main_ci_gender.csv")
  }
}

writeLines(c(paste("R", R.version$major, R.version$minor),
             paste("cSEM", as.character(packageVersion("cSEM"))),
             paste("lavaan", as.character(packageVersion("lavaan")))),
           file.path(here, "versions.txt"))
