# Oracle for tests/test_criteria_conventions.py: cSEM's saturated-model order (GM,
# Mallows' Cp), its degrees of freedom with a single-item '=~' construct, and GoF with
# and without single-item constructs. Run from this folder: Rscript make_oracle.R
suppressPackageStartupMessages(library(cSEM))
data <- read.csv("../../../src/satmodel/datasets/ecsi_satisfaction.csv")
data$gender <- NULL

measurement <- c(
  IMAG = "IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5",
  EXPE = "EXPE =~ EXPE1 + EXPE2 + EXPE3 + EXPE4 + EXPE5",
  QUAL = "QUAL =~ QUAL1 + QUAL2 + QUAL3 + QUAL4 + QUAL5",
  VAL  = "VAL =~ VAL1 + VAL2 + VAL3 + VAL4",
  SAT  = "SAT =~ SAT1 + SAT2 + SAT3 + SAT4",
  LOY  = "LOY =~ LOY1")
structural <- list(
  qual_first = c("QUAL ~ EXPE", "VAL ~ IMAG + EXPE", "SAT ~ QUAL + VAL + IMAG", "LOY ~ SAT"),
  val_first  = c("VAL ~ IMAG + EXPE", "QUAL ~ EXPE", "SAT ~ QUAL + VAL + IMAG", "LOY ~ SAT"))
measurement_orders <- list(
  forward = names(measurement),
  reverse = rev(names(measurement)),
  shuffled = c("SAT", "IMAG", "LOY", "QUAL", "EXPE", "VAL"))

# GoF as cSEM >= 0.5 (commit 77825dd, Oct 2023) computes it: loadings of constructs
# with more than one indicator only (written out here; the installed cSEM predates it)
gof_multi_item <- function(res) {
  m <- res$Information$Model$measurement
  keep <- rownames(m)[rowSums(m) != 1]
  L <- res$Estimates$Loading_estimates[keep, , drop = FALSE]
  L <- L[L != 0]
  sqrt(mean(L^2) * mean(res$Estimates$R2))
}

rows <- list()
add <- function(...) rows[[length(rows) + 1]] <<- data.frame(..., stringsAsFactors = FALSE)
for (s in names(structural)) for (m in names(measurement_orders)) for (plsc in c(FALSE, TRUE)) {
  model <- paste(c(measurement[measurement_orders[[m]]], structural[[s]]), collapse = "\n")
  res <- csem(data, model, .disattenuate = plsc, .tolerance = 1e-12, .iter_max = 1000)
  stopifnot(sum(unlist(verify(res))) == 0)
  a <- assess(res, .quality_criterion = c("gof", "df", "gm", "mallows_cp"))
  for (q in c("GM", "Mallows_Cp")) {
    v <- a[[q]]
    for (cn in names(v)) add(structural = s, measurement = m, consistent = plsc,
                             quantity = q, construct = cn, value = unname(v[cn]))
  }
  add(structural = s, measurement = m, consistent = plsc, quantity = "Df", construct = "",
      value = calculateDf(res))
  add(structural = s, measurement = m, consistent = plsc, quantity = "GoF_all_items",
      construct = "", value = calculateGoF(res))
  add(structural = s, measurement = m, consistent = plsc, quantity = "GoF_multi_item",
      construct = "", value = gof_multi_item(res))
  ord <- rownames(res$Information$Model$structural)
  add(structural = s, measurement = m, consistent = plsc, quantity = "order",
      construct = paste(ord, collapse = " "), value = NA)
}
out <- do.call(rbind, rows)
write.csv(out, "criteria.csv", row.names = FALSE)
writeLines(c(R.version.string, paste("cSEM", packageVersion("cSEM")),
             paste("lavaan", packageVersion("lavaan"))), "versions.txt")
