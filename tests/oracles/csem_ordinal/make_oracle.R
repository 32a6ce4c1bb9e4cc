# Ordinal indicators: polychoric / polyserial (two-step) and Spearman correlations and the
# OrdPLS / OrdPLSc estimates cSEM computes from them, for tests/test_ordinal.py.
# Run:  R_LIBS=<lib with cSEM> Rscript tests/oracles/csem_ordinal/make_oracle.R
suppressPackageStartupMessages({library(cSEM); library(polycor); library(mvtnorm)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", "..", ".."))
d0 <- read.csv(file.path(root, "src", "satmodel", "datasets", "ecsi_satisfaction.csv"))

# data: IMAG, SAT, LOY items as they are (ordinal, 10 levels); the VAL items jittered by
# U(-0.45, 0.45) so that they are continuous (polyserial with the ordinal items)
set.seed(20261202)
d <- d0[, c(paste0("IMAG", 1:5), paste0("VAL", 1:4), paste0("SAT", 1:4), paste0("LOY", 1:4))]
for (j in paste0("VAL", 1:4)) d[[j]] <- round(d[[j]] + runif(nrow(d), -0.45, 0.45), 6)
write.csv(d, file.path(here, "data.csv"), row.names = FALSE)
ord <- c(paste0("IMAG", 1:5), paste0("SAT", 1:4), paste0("LOY", 1:4))
cont <- paste0("VAL", 1:4)
model <- "
IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
VAL  =~ VAL1 + VAL2 + VAL3 + VAL4
SAT  =~ SAT1 + SAT2 + SAT3 + SAT4
LOY  =~ LOY1 + LOY2 + LOY3 + LOY4
VAL  ~ IMAG
SAT  ~ IMAG + VAL
LOY  ~ IMAG + SAT
"
dfac <- d
for (j in ord) dfac[[j]] <- factor(d[[j]], ordered = TRUE)

num <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", x))
out <- function(df, name) {
  isnum <- vapply(df, is.numeric, logical(1))
  df[isnum] <- lapply(df[isnum], num)
  write.csv(df, file.path(here, name), row.names = FALSE, na = "")
}
cuts <- function(y) { tab <- table(y); qnorm(cumsum(tab) / sum(tab))[-length(tab)] }

# two-step polychoric solved tightly: thresholds as polycor::polychor, rho the root of the
# likelihood's derivative (score), d/drho of a rectangle probability being the sum of the
# bivariate normal densities at its corners (uniroot, tol 1e-14); checked against
# polycor's own likelihood (polycor:::binBvn) being minimal there
poly_tight <- function(x, y) {
  tab <- table(x, y); rc <- cuts(x); cc <- cuts(y)
  r <- c(-Inf, rc, Inf); cl <- c(-Inf, cc, Inf)
  dens <- function(h, k, rho) if (is.infinite(h) || is.infinite(k)) 0 else
    dmvnorm(c(h, k), sigma = matrix(c(1, rho, rho, 1), 2))
  score <- function(rho) {
    P <- polycor:::binBvn(rho, rc, cc)
    s <- 0
    for (i in seq_len(nrow(tab))) for (j in seq_len(ncol(tab))) if (tab[i, j] > 0) {
      dp <- dens(r[i + 1], cl[j + 1], rho) - dens(r[i], cl[j + 1], rho) -
        dens(r[i + 1], cl[j], rho) + dens(r[i], cl[j], rho)
      s <- s + tab[i, j] * dp / P[i, j]
    }
    s
  }
  rho0 <- polychor(x, y)                       # polycor two-step, optimise tol ~1e-4
  rho <- uniroot(score, rho0 + c(-0.01, 0.01), tol = 1e-14)$root
  f <- function(q) -sum(tab * log(polycor:::binBvn(q, rc, cc)))
  stopifnot(f(rho) <= f(rho + 1e-6), f(rho) <= f(rho - 1e-6))
  rho
}
items <- names(d)
p <- length(items)
S_tight <- diag(p); dimnames(S_tight) <- list(items, items)
for (a in 1:(p - 1)) for (b in (a + 1):p) {
  ia <- items[a]; ib <- items[b]
  v <- if (ia %in% ord && ib %in% ord) poly_tight(d[[ia]], d[[ib]])
       else if (ia %in% ord) polyserial(d[[ib]], d[[ia]])
       else if (ib %in% ord) polyserial(d[[ia]], d[[ib]])
       else cor(d[[ia]], d[[ib]])
  S_tight[a, b] <- S_tight[b, a] <- v
}
stopifnot(min(eigen(S_tight)$values) > 0)
S_hetcor <- hetcor(dfac, std.err = FALSE, pd = TRUE)$correlations   # what cSEM 0.4 uses
S_spear <- cor(d, method = "spearman")
long <- function(S, kind) data.frame(kind = kind, row = rep(items, p), col = rep(items, each = p),
                                     value = as.vector(S))
out(rbind(long(S_tight, "polychoric_tight"), long(S_hetcor, "polycor_hetcor"),
          long(S_spear, "spearman")), "correlations.csv")
th <- do.call(rbind, lapply(ord, function(j) { k <- cuts(d[[j]])
  data.frame(indicator = j, level = as.numeric(names(k)), threshold = unname(k)) }))
out(th, "thresholds.csv")

estimates <- function(fit, label) {
  stopifnot(sum(unlist(verify(fit))) == 0)
  E <- fit$Estimates
  P <- E$Path_estimates; L <- E$Loading_estimates; W <- E$Weight_estimates
  pi <- which(P != 0, arr.ind = TRUE); li <- which(L != 0, arr.ind = TRUE)
  rbind(data.frame(case = label, kind = "path", source = colnames(P)[pi[, 2]],
                   target = rownames(P)[pi[, 1]], value = P[pi]),
        data.frame(case = label, kind = "loading", source = rownames(L)[li[, 1]],
                   target = colnames(L)[li[, 2]], value = L[li]),
        data.frame(case = label, kind = "weight", source = rownames(W)[li[, 1]],
                   target = colnames(W)[li[, 2]], value = W[li]))
}
run <- function(data, label, ...) {
  rbind(estimates(csem(data, model, .disattenuate = FALSE, .tolerance = 1e-12,
                       .iter_max = 1000, ...), paste0(label, "_pls")),
        estimates(csem(data, model, .disattenuate = TRUE, .tolerance = 1e-12,
                       .iter_max = 1000, ...), paste0(label, "_plsc")))
}
est_native <- run(dfac, "hetcor")                                  # cSEM as shipped
est_spear <- run(d, "spearman", .approach_cor_robust = "spearman")
# cSEM's estimator on the tightly solved matrix: its correlation step replaced
ns <- asNamespace("cSEM")
orig <- get("calculateIndicatorCor", ns)
unlockBinding("calculateIndicatorCor", ns)
assign("calculateIndicatorCor", function(.X_cleaned = NULL, .approach_cor_robust = "none")
  list(S = S_tight[colnames(.X_cleaned), colnames(.X_cleaned)], cor_type = "Polychoric",
       thres_est = NULL), envir = ns)
est_tight <- run(d, "tight")
assign("calculateIndicatorCor", orig, envir = ns)
out(rbind(est_native, est_spear, est_tight), "estimates.csv")
ip <- installed.packages()
v <- c("cSEM", "polycor", "mvtnorm")
writeLines(c(R.version.string, paste(v, ip[v, "Version"])), file.path(here, "versions.txt"))
