# Export lavaan's HolzingerSwineford1939 (x1-x9 and the id) to CSV. Run from this folder.
library(lavaan)
d <- HolzingerSwineford1939[, c("id", paste0("x", 1:9))]
write.csv(d, "holzinger_swineford.csv", row.names = FALSE, quote = FALSE)
