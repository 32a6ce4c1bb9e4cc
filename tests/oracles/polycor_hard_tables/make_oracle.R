# Two-step polychoric correlations of contingency tables on which satmodel's unguarded
# Newton iteration (before the bracket safeguard) cycled between the bounds, for
# tests/test_ordinal_polychoric_diagnostics.py.
# Run:  Rscript tests/oracles/polycor_hard_tables/make_oracle.R
suppressPackageStartupMessages({library(polycor); library(mvtnorm)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

tables <- list(
  t2x2 = matrix(c(60, 9, 17, 68), 2, byrow = TRUE),
  t3x2 = matrix(c(175, 9, 5, 43, 16, 80), 3, byrow = TRUE),
  t3x4 = matrix(c(5, 6, 1, 0, 0, 1, 6, 2, 1, 0, 0, 11), 3, byrow = TRUE),
  t5x3 = matrix(c(5, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 2), 5, byrow = TRUE)
)

# thresholds as polycor::polychor (qnorm of cumulative marginal proportions); rho the root
# of the score of polycor's own likelihood (polycor:::binBvn cell probabilities; d/drho of
# a cell = signed sum of dmvnorm at its corners), uniroot(tol = 1e-14) inside +-0.01 of
# polychor()'s optimise estimate, checked to be the likelihood's maximum there
tight <- function(tab) {
  rc <- qnorm(cumsum(rowSums(tab)) / sum(tab))[-nrow(tab)]
  cc <- qnorm(cumsum(colSums(tab)) / sum(tab))[-ncol(tab)]
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
  rho0 <- polychor(tab)                        # polycor two-step (ML = FALSE), optimise
  rho <- uniroot(score, rho0 + c(-0.01, 0.01), tol = 1e-14)$root
  f <- function(q) -sum(tab * log(polycor:::binBvn(q, rc, cc)))
  stopifnot(f(rho) <= f(rho + 1e-6), f(rho) <= f(rho - 1e-6))
  c(polychor = rho0, tight = rho)
}
num <- function(x) sprintf("%.17g", x)
rows <- lapply(names(tables), function(id) {
  tab <- tables[[id]]
  v <- tight(tab)
  data.frame(table = id, rows = nrow(tab), cols = ncol(tab),
             cells = paste(as.vector(t(tab)), collapse = " "),   # row by row
             polychor = num(v[["polychor"]]), tight = num(v[["tight"]]))
})
write.csv(do.call(rbind, rows), file.path(here, "polychoric.csv"), row.names = FALSE)
writeLines(c(R.version.string, paste("polycor", packageVersion("polycor")),
             paste("mvtnorm", packageVersion("mvtnorm"))), file.path(here, "versions.txt"))
