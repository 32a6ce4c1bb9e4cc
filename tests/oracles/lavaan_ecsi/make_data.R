# The ECSI items of satmodel's shipped ecsi_satisfaction data, with values removed at random
# (MAR: the chance that an EXPE..LOY answer is missing rises with the observed IMAG1).
# Run from this folder:  Rscript make_data.R   -> ecsi_missing.csv
d <- read.csv("../../../src/satmodel/datasets/ecsi_satisfaction.csv")
d$gender <- NULL
set.seed(17)
z <- as.numeric(scale(d$IMAG1))
for (item in names(d)[6:27]) {
  p <- plogis(-2.0 + 0.8 * z)
  d[[item]][runif(nrow(d)) < p] <- NA
}
write.csv(d, "ecsi_missing.csv", row.names = FALSE, na = "", quote = FALSE)
cat("share of missing cells", mean(is.na(d)), " complete rows", sum(complete.cases(d)), "\n")
