# Gaussian-copula endogeneity regressions (Park & Gupta 2012; Hult et al. 2018) computed
# in plain R on cSEM's PLS construct scores, for tests/test_endogeneity.py.
# Run:  R_LIBS=<lib with cSEM> Rscript tests/oracles/r_copula_endogeneity/make_oracle.R
suppressPackageStartupMessages(library(cSEM))
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
root <- normalizePath(file.path(here, "..", "..", ".."))
d <- read.csv(file.path(root, "src", "satmodel", "datasets", "ecsi_satisfaction.csv"))
items <- setdiff(names(d), "gender")
model <- "
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
fit <- csem(d[, items], model, .disattenuate = FALSE, .tolerance = 1e-12, .iter_max = 1000)
stopifnot(sum(unlist(verify(fit))) == 0)
S <- as.data.frame(fit$Estimates$Construct_scores)
n <- nrow(S)

# copula term: qnorm of the empirical CDF scaled by n / (n + 1)
copula <- function(x) qnorm(ecdf(x)(x) * length(x) / (length(x) + 1))

num <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", x))
rows <- list()
boot_rows <- list()
B <- 2000
set.seed(20261202)
for (case in list(list("LOY", c("IMAG", "SAT"), c("IMAG", "SAT")),
                  list("SAT", c("IMAG", "EXPE", "QUAL", "VAL"), c("IMAG", "EXPE", "QUAL", "VAL")),
                  list("SAT", c("IMAG", "EXPE", "QUAL", "VAL"), "VAL"))) {
  tgt <- case[[1]]; preds <- case[[2]]; group <- case[[3]]
  D <- S[, preds, drop = FALSE]
  for (g in group) D[[paste0("copula(", g, ")")]] <- copula(S[[g]])
  D$y <- S[[tgt]]
  f <- lm(y ~ ., data = D)
  co <- summary(f)$coefficients[-1, , drop = FALSE]
  rownames(co) <- gsub("`", "", rownames(co))
  sw <- sapply(rownames(co), function(term) {
    g <- sub("^copula\\((.*)\\)$", "\\1", term)
    if (grepl("^copula", term)) shapiro.test(S[[g]])$p.value else NA })
  rows[[length(rows) + 1]] <- data.frame(target = tgt, copulas = paste(group, collapse = "+"),
    term = rownames(co), estimate = co[, 1], se = co[, 2], t = co[, 3],
    p = co[, 4], shapiro_p = sw)
  # bootstrap: resample rows, recompute the copula terms in every resample
  draws <- replicate(B, {
    i <- sample.int(n, n, replace = TRUE)
    Db <- S[i, preds, drop = FALSE]
    for (g in group) Db[[paste0("copula(", g, ")")]] <- copula(S[[g]][i])
    Db$y <- S[[tgt]][i]
    coef(lm(y ~ ., data = Db))[-1]
  })
  boot_rows[[length(boot_rows) + 1]] <- data.frame(target = tgt,
    copulas = paste(group, collapse = "+"), term = rownames(co),
    boot_se = apply(draws, 1, sd))
}
res <- do.call(rbind, rows)
boot <- do.call(rbind, boot_rows)
res <- merge(res, boot, sort = FALSE)
isnum <- vapply(res, is.numeric, logical(1))
res[isnum] <- lapply(res[isnum], num)
write.csv(res, file.path(here, "copula_regressions.csv"), row.names = FALSE, na = "")
ip <- installed.packages()
writeLines(c(R.version.string, paste("cSEM", ip["cSEM", "Version"])), file.path(here, "versions.txt"))
