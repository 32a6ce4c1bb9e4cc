# Reference outputs of cSEM's testMGD() and testMICOM() for satmodel's tests
# (tests/test_mga.py). Run from anywhere:  Rscript tests/oracles/<case>/make_oracle.R
# Needs R and cSEM (see SOURCE.md for versions and how cSEM was installed).
# The only difference between the csem_mga_* folders is the CASE block below.
suppressPackageStartupMessages(library(cSEM))

## ---- CASE ------------------------------------------------------------------
CASE <- "gender"
make_groups <- function(d) d$gender            # female (148), male (102)
## ---------------------------------------------------------------------------

R_MAIN   <- 2000      # permutations and bootstrap draws per group of the main run
R_SMALL  <- 199       # bootstrap draws of the formula run (draws exported)
SEED_MGD <- 20240611
SEED_FORMULA <- 20240612
SEED_MICOM <- 20240613

PART <- commandArgs(TRUE)[1]
if (is.na(PART)) PART <- "all"
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
group <- make_groups(d)
# A named list of the groups' data (names sorted as R's split() sorts them). A list,
# not .id: with .id, testMICOM's step 3 pairs the pooled data in its original row
# order with group ids in split order (wrong unless the data are sorted by group).
data_list <- split(d[, items], group)

fit <- csem(data_list, model, .disattenuate = FALSE, .tolerance = 1e-12, .iter_max = 1000)
stopifnot(sum(unlist(verify(fit))) == 0)

num <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", x))
out <- function(df, name) {
  isnum <- vapply(df, is.numeric, logical(1))
  df[isnum] <- lapply(df[isnum], num)
  write.csv(df, file.path(here, name), row.names = FALSE, na = "")
}

## group estimates ------------------------------------------------------------
s <- summarize(fit)
est <- do.call(rbind, lapply(names(s), function(g) {
  e <- s[[g]]$Estimates
  rbind(data.frame(group = g, kind = "path", name = e$Path_estimates$Name,
                   estimate = e$Path_estimates$Estimate),
        data.frame(group = g, kind = "loading", name = e$Loading_estimates$Name,
                   estimate = e$Loading_estimates$Estimate),
        data.frame(group = g, kind = "weight", name = e$Weight_estimates$Name,
                   estimate = e$Weight_estimates$Estimate))
}))
out(est, "group_estimates.csv")

## testMGD, main run -----------------------------------------------------------
if (PART %in% c("all", "mgd")) {
set.seed(1)  # cSEM reads .Random.seed before setting its own seed
approaches <- c("Klesel", "Chin", "Sarstedt", "Keil", "Nitzl", "Henseler")
mgd <- testMGD(fit, .approach_mgd = approaches, .approach_p_adjust = c("none", "holm"),
               .R_permutation = R_MAIN, .R_bootstrap = R_MAIN, .seed = SEED_MGD,
               .verbose = FALSE)

rows <- list()
add <- function(test, comparison, stat, p_none, p_holm, df = NA) {
  rows[[length(rows) + 1]] <<- data.frame(
    test = test, comparison = comparison, name = names(stat), statistic = unname(stat),
    df = df, p_none = unname(p_none[names(stat)]), p_holm = unname(p_holm[names(stat)]))
}
k <- mgd$Klesel
add("Klesel", "all", k$Test_statistic, k$P_value, k$P_value)
for (cmp in names(mgd$Chin$Test_statistic)) {
  add("Chin", cmp, mgd$Chin$Test_statistic[[cmp]], mgd$Chin$P_value$none[[cmp]],
      mgd$Chin$P_value$holm[[cmp]])
}
add("Sarstedt", "all", mgd$Sarstedt$Test_statistic, mgd$Sarstedt$P_value$none,
    mgd$Sarstedt$P_value$holm)
for (test in c("Keil", "Nitzl")) {
  x <- mgd[[test]]
  for (cmp in names(x$Test_statistic)) {
    df <- if (cmp == names(x$Test_statistic)[1]) x$df else NA  # cSEM keeps the first only
    if (length(df) > 1) df <- df[names(x$Test_statistic[[cmp]])]
    add(test, cmp, x$Test_statistic[[cmp]], x$P_value$none[[cmp]], x$P_value$holm[[cmp]],
        df = unname(df))
  }
}
for (cmp in names(mgd$Henseler$P_value$none)) {
  p <- mgd$Henseler$P_value$none[[cmp]]
  add("Henseler", cmp, p, p, p)  # statistic = cSEM's "p-value" P(theta_1 <= theta_2)
}
mgd_tab <- do.call(rbind, rows)
mgd_tab$reject_5_none <- ifelse(mgd_tab$test == "Henseler",
                                mgd_tab$p_none <= 0.025 | mgd_tab$p_none >= 0.975,
                                mgd_tab$p_none <= 0.05)
out(mgd_tab, "mgd.csv")
ip <- mgd$Information$Information_permutation
out(data.frame(what = c("permutations_admissible", "permutation_runs", "seed"),
               value = c(ip$Number_admissibles, ip$Total_runs, ip$Permutation_seed)),
    "mgd_information.csv")

## the bootstrap SEs of the main run (the same call testMGD makes internally) -----
boot <- resamplecSEMResults(fit, .resample_method = "bootstrap", .handle_inadmissibles = "replace",
                            .R = R_MAIN, .seed = SEED_MGD)
se <- do.call(rbind, lapply(names(boot), function(g) {
  sds <- infer(boot[[g]], .quantity = "sd")
  rbind(data.frame(group = g, name = names(sds$Path_estimates$sd), se = sds$Path_estimates$sd),
        data.frame(group = g, name = names(sds$Loading_estimates$sd),
                   se = sds$Loading_estimates$sd))
}))
out(se, "bootstrap_se.csv")

## formula run: few draws, paths only; the draws are exported ----------------------
set.seed(1)
small <- testMGD(fit, .approach_mgd = c("Sarstedt", "Keil", "Nitzl", "Henseler"),
                 .parameters_to_compare = paths_only, .R_permutation = 19,
                 .R_bootstrap = R_SMALL, .seed = SEED_FORMULA, .verbose = FALSE)
bs <- resamplecSEMResults(fit, .resample_method = "bootstrap", .handle_inadmissibles = "replace",
                          .R = R_SMALL, .seed = SEED_FORMULA)
draws <- do.call(rbind, lapply(names(bs), function(g) {
  r <- bs[[g]]$Estimates$Estimates_resample$Estimates1$Path_estimates$Resampled
  data.frame(group = g, draw = seq_len(nrow(r)), r, check.names = FALSE)
}))
out(draws, "formula_bootstrap_paths.csv")
rows <- list()
add("Sarstedt", "all", small$Sarstedt$Test_statistic, small$Sarstedt$P_value$none,
    small$Sarstedt$P_value$none)
for (test in c("Keil", "Nitzl")) {
  x <- small[[test]]
  for (cmp in names(x$Test_statistic)) {
    df <- if (cmp == names(x$Test_statistic)[1]) x$df else NA
    if (length(df) > 1) df <- df[names(x$Test_statistic[[cmp]])]
    add(test, cmp, x$Test_statistic[[cmp]], x$P_value$none[[cmp]], x$P_value$none[[cmp]],
        df = unname(df))
  }
}
for (cmp in names(small$Henseler$P_value$none)) {
  p <- small$Henseler$P_value$none[[cmp]]
  add("Henseler", cmp, p, p, p)
}
out(do.call(rbind, rows), "formula_mgd.csv")
}

## testMICOM --------------------------------------------------------------------
if (PART %in% c("all", "micom")) {
set.seed(1)
mic <- testMICOM(fit, .R = R_MAIN, .seed = SEED_MICOM, .approach_p_adjust = c("none", "holm"),
                 .verbose = FALSE)
ref <- mic$Step2$Bootstrap_values  # permutation draws of c, list of lists by comparison
rows <- list()
for (i in seq_along(mic$Step2$Test_statistic)) {
  cmp <- names(mic$Step2$Test_statistic)[i]
  cc <- mic$Step2$Test_statistic[[cmp]]
  # the permuted fits' groups are named "1", "2", ...: take the comparisons by position
  dist <- do.call(rbind, lapply(ref, function(r) r[[i]]))
  q05 <- apply(dist, 2, quantile, probs = 0.05, type = 7)
  mean_stat <- mic$Step3$Mean$Test_statistic[[cmp]]
  var_stat <- mic$Step3$Var$Test_statistic[[cmp]]
  rows[[length(rows) + 1]] <- data.frame(
    comparison = cmp, construct = names(cc), c = unname(cc), c_quantile_05 = unname(q05[names(cc)]),
    # step 2's p-values are listed under the permuted groups' names ("1_2"): by position
    p_c = unname(mic$Step2$P_value$none[[i]][names(cc)]),
    p_c_holm = unname(mic$Step2$P_value$holm[[i]][names(cc)]),
    mean_diff = unname(mean_stat[names(cc)]),
    p_mean = unname(mic$Step3$Mean$P_value$none[[cmp]][names(cc)]),
    p_mean_holm = unname(mic$Step3$Mean$P_value$holm[[cmp]][names(cc)]),
    log_var_ratio = unname(var_stat[names(cc)]),
    p_var = unname(mic$Step3$Var$P_value$none[[cmp]][names(cc)]),
    p_var_holm = unname(mic$Step3$Var$P_value$holm[[cmp]][names(cc)]))
}
micom <- do.call(rbind, rows)
# verdict at 5 % (Henseler et al. 2016; cSEM prints p-values only): compositional
# invariance if p_c > 0.05; full if also p_mean > 0.05 and p_var > 0.05
comp_ok <- micom$p_c > 0.05
full_ok <- comp_ok & micom$p_mean > 0.05 & micom$p_var > 0.05
micom$verdict <- ifelse(full_ok, "full", ifelse(comp_ok, "partial", "none"))
out(micom, "micom.csv")
out(data.frame(what = c("admissible", "runs", "seed"),
               value = c(mic$Information$Number_admissibles, mic$Information$Total_runs,
                         mic$Information$Seed)), "micom_information.csv")
}

## R's p.adjust on a fixed vector (checks the corrections, deterministic) ---------
if (CASE == "gender") {
  p <- c(0.001, 0.004, 0.0041, 0.019, 0.02, 0.03, 0.2, 0.21, 0.5, 0.9, 0.012, 0.0135)
  adj <- data.frame(p = p)
  for (m in c("bonferroni", "holm", "hochberg", "hommel", "BH", "BY")) adj[[m]] <- p.adjust(p, m)
  out(adj, "p_adjust.csv")
}

writeLines(c(paste("R", R.version$major, R.version$minor),
             paste("cSEM", as.character(packageVersion("cSEM"))),
             paste("lavaan", as.character(packageVersion("lavaan")))),
           file.path(here, "versions.txt"))
