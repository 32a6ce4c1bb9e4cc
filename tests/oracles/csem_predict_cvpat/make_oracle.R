# Reference outputs for satmodel's PLSpredict conventions and CVPAT
# (tests/test_predict_conventions.py, tests/test_cvpat.py).
# Run from anywhere:  Rscript tests/oracles/csem_predict_cvpat/make_oracle.R
# Needs R and cSEM (see SOURCE.md). Fold assignments are fixed here and written out,
# so satmodel reproduces every prediction on identical training sets.
suppressPackageStartupMessages(library(cSEM))

args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", "..", ".."))
d <- read.csv(file.path(root, "src", "satmodel", "datasets", "ecsi_satisfaction.csv"))
items <- setdiff(names(d), "gender")
X <- as.matrix(d[, items])
n <- nrow(X)

model_a <- "
IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
EXPE =~ EXPE1 + EXPE2 + EXPE3 + EXPE4 + EXPE5
QUAL =~ QUAL1 + QUAL2 + QUAL3 + QUAL4 + QUAL5
VAL  =~ VAL1 + VAL2 + VAL3 + VAL4
SAT  =~ SAT1 + SAT2 + SAT3 + SAT4
LOY  =~ LOY1 + LOY2 + LOY3 + LOY4
EXPE ~ IMAG
QUAL ~ EXPE
VAL  ~ EXPE + QUAL
SAT  ~ IMAG + EXPE + QUAL + VAL
LOY  ~ IMAG + SAT
"
# model B: the ECSI model without IMAG -> SAT and IMAG -> LOY (same endogenous items)
model_b <- "
IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
EXPE =~ EXPE1 + EXPE2 + EXPE3 + EXPE4 + EXPE5
QUAL =~ QUAL1 + QUAL2 + QUAL3 + QUAL4 + QUAL5
VAL  =~ VAL1 + VAL2 + VAL3 + VAL4
SAT  =~ SAT1 + SAT2 + SAT3 + SAT4
LOY  =~ LOY1 + LOY2 + LOY3 + LOY4
EXPE ~ IMAG
QUAL ~ EXPE
VAL  ~ EXPE + QUAL
SAT  ~ EXPE + QUAL + VAL
LOY  ~ SAT
"
# model C, for PLSc: PLSc of the full ECSI model is inadmissible (construct VCV not
# positive semi-definite) on 3-6 of 10 training sets for every fold seed tried
model_c <- "
IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
VAL  =~ VAL1 + VAL2 + VAL3 + VAL4
SAT  =~ SAT1 + SAT2 + SAT3 + SAT4
LOY  =~ LOY1 + LOY2 + LOY3 + LOY4
VAL  ~ IMAG
SAT  ~ IMAG + VAL
LOY  ~ IMAG + SAT
"
exo_items <- paste0("IMAG", 1:5)

set.seed(20261202)
fold <- sample(rep(1:10, length.out = n))   # 10 folds of 25 rows
K <- 10

num <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", x))
out <- function(df, name) {
  isnum <- vapply(df, is.numeric, logical(1))
  df[isnum] <- lapply(df[isnum], num)
  write.csv(df, file.path(here, name), row.names = FALSE, na = "")
}
out(data.frame(row = seq_len(n) - 1L, fold = fold - 1L), "folds.csv")

# conditional expectation of the standardized endogenous items given the standardized
# predictor items under a correlation matrix Sigma (de Rooij et al. 2023)
cond_exp <- function(Sigma, z, pred, targ) {
  z[, pred, drop = FALSE] %*% solve(Sigma[pred, pred], Sigma[pred, targ, drop = FALSE])
}

run <- function(model, disattenuate, label, scheme = "path") {
  used <- colnames(csem(as.data.frame(X), model, .disattenuate = FALSE)$Information$Data)
  X <- X[, used]; items <- used
  endo_items <- setdiff(items, exo_items)
  P <- list(composite = matrix(NA, n, length(endo_items), dimnames = list(NULL, endo_items)))
  P$implied_earliest <- P$implied_direct <- P$lm_csem <- P$lm_satmodel <- P$lm_seminr <-
    P$mean <- P$composite
  for (k in 1:K) {
    test <- fold == k
    Xtr <- X[!test, ]; Xte <- X[test, , drop = FALSE]
    fit <- csem(as.data.frame(Xtr), model, .disattenuate = disattenuate,
                .PLS_weight_scheme_inner = scheme,
                .tolerance = 1e-12, .iter_max = 1000)
    v <- unlist(verify(fit)); if (sum(v) != 0) cat(label, "fold", k, "verify:", v, "\n")
    stopifnot(sum(v) == 0)
    pr <- cSEM::predict(fit, .benchmark = "lm", .test_data = as.data.frame(Xte))
    P$composite[test, ] <- pr$Predictions_target[, endo_items]
    P$lm_csem[test, ] <- Xte[, endo_items] - pr$Residuals_benchmark[, endo_items]
    m <- colMeans(Xtr); s <- apply(Xtr, 2, sd)
    z <- sweep(sweep(Xte, 2, m), 2, s, "/")
    Sigma <- fit(fit, .saturated = FALSE, .type_vcv = "indicator")[items, items]
    zhat <- cond_exp(Sigma, z, exo_items, endo_items)
    P$implied_earliest[test, ] <- sweep(sweep(zhat, 2, s[endo_items], "*"), 2, m[endo_items], "+")
    # direct: each construct's items given the items of its direct predecessors
    pm <- fit$Information$Model$structural          # rows: targets, cols: sources
    meas <- fit$Information$Model$measurement
    for (cn in rownames(pm)[rowSums(pm) > 0]) {
      targ <- colnames(meas)[meas[cn, ] != 0]
      pred <- colnames(meas)[colSums(meas[colnames(pm)[pm[cn, ] != 0], , drop = FALSE]) != 0]
      zh <- cond_exp(Sigma, z, pred, targ)
      P$implied_direct[test, targ] <- sweep(sweep(zh, 2, s[targ], "*"), 2, m[targ], "+")
    }
    P$mean[test, ] <- matrix(m[endo_items], sum(test), length(endo_items), byrow = TRUE)
    # satmodel's LM: exogenous items with intercept; seminr's: every item outside the
    # target construct, with intercept
    dtr <- as.data.frame(Xtr); dte <- as.data.frame(Xte)
    for (y in endo_items) {
      f1 <- lm(reformulate(exo_items, y), data = dtr)
      P$lm_satmodel[test, y] <- stats::predict(f1, newdata = dte)
      own <- colnames(meas)[meas[rownames(meas)[meas[, y] != 0], ] != 0]
      f2 <- lm(reformulate(setdiff(items, own), y), data = dtr)
      P$lm_seminr[test, y] <- stats::predict(f2, newdata = dte)
    }
  }
  P
}

pa_pls <- run(model_a, FALSE, "a_pls")
pc_plsc <- run(model_c, TRUE, "c_plsc")
pc_pls <- run(model_c, FALSE, "c_pls")
pb_pls <- run(model_b, FALSE, "b_pls")
# one gzipped wide file: column <model>.<kind>.<indicator>, rows in data order
keep <- list(a_pls = c("composite", "mean", "lm_csem", "lm_satmodel", "lm_seminr"),
             b_pls = "composite", c_pls = c("composite", "implied_earliest"),
             c_plsc = c("composite", "implied_earliest", "implied_direct"))
runs <- list(a_pls = pa_pls, b_pls = pb_pls, c_pls = pc_pls, c_plsc = pc_plsc)
cols <- list()
for (m in names(keep)) for (kind in keep[[m]]) {
  M <- runs[[m]][[kind]]
  for (j in colnames(M)) cols[[paste(m, kind, j, sep = ".")]] <- sprintf("%.15g", M[, j])
}
con <- gzfile(file.path(here, "predictions.csv.gz"), "w")
write.csv(as.data.frame(cols, check.names = FALSE), con, row.names = FALSE, quote = FALSE)
close(con)

# Q2_predict conventions on the composite PLS predictions of model a
wide <- function(P, kind) P[[kind]]
endo_items <- setdiff(items, exo_items)
Y <- X[, endo_items]
R_t <- Y - wide(pa_pls, "composite"); R_mb <- Y - wide(pa_pls, "mean")
q2 <- data.frame(indicator = endo_items,
  q2_satmodel = 1 - colSums(R_t^2) / colSums(R_mb^2),
  # cSEM calculateq2(): residuals centred on their means
  q2_csem = 1 - colSums(sweep(R_t, 2, colMeans(R_t))^2) / colSums(sweep(R_mb, 2, colMeans(R_mb))^2),
  rmse = sqrt(colMeans(R_t^2)), mae = colMeans(abs(R_t)))
out(q2, "q2.csv")

# CVPAT (Liengaard et al. 2021) as cSEM's testCVPAT computes it (cSEM >= 0.5, code
# followed line by line): per-row loss = mean squared residual over the endogenous
# items, D = L2 - L1, t = mean(D) / sqrt(var(D)/N), df = N - 1.
loss <- function(df, kind) rowMeans((Y - wide(df, kind))^2)
cvpat <- function(L1, L2, test) {
  D <- L2 - L1; N <- length(D); t <- mean(D) / sqrt(var(D) / N)
  tt <- t.test(L2, L1, paired = TRUE)                        # the same statistic
  stopifnot(abs(unname(tt$statistic) - t) < 1e-10)
  data.frame(test = test, statistic = t, df = N - 1,
             p_two_sided = 2 * (1 - pt(abs(t), N - 1)), p_one_sided = 1 - pt(t, N - 1),
             mean_diff = mean(D))
}
cv <- rbind(
  cvpat(loss(pa_pls, "composite"), loss(pb_pls, "composite"), "a_vs_b"),
  cvpat(loss(pa_pls, "composite"), loss(pa_pls, "mean"), "a_vs_indicator_average"),
  cvpat(loss(pa_pls, "composite"), loss(pa_pls, "lm_satmodel"), "a_vs_lm"))
out(cv, "cvpat.csv")

ip <- installed.packages()
v <- c("cSEM", "lavaan", "matrixStats", "purrr")
writeLines(c(R.version.string, paste(v, ip[v, "Version"])), file.path(here, "versions.txt"))
