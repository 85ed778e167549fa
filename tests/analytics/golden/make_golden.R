# Golden files from R's surveillance package, for tests that must not need R.
# Run once from this folder:  Rscript make_golden.R   (R 4.2, Debian r-cran-surveillance 1.20.3)
suppressMessages(library(surveillance))
set.seed(20261128)

series <- list(); results <- list()

simulate <- function(id, n, freq, level, trend, season, size, outbreaks, pop = NULL) {
  t <- 1:n
  mu <- exp(log(level) + trend * t / freq + season * sin(2 * pi * t / freq))
  if (!is.null(pop)) mu <- mu * pop / mean(pop)
  y <- if (is.infinite(size)) rpois(n, mu) else rnbinom(n, mu = mu, size = size)
  for (o in outbreaks) y[o] <- y[o] + rpois(1, 3 * mu[o] + 4)
  data.frame(series_id = id, t = t, y = y, population = if (is.null(pop)) NA else pop)
}

configs <- list(
  monthly_nbplugin = list(freq = 12, n = 132, control = list(b = 5, w = 1, noPeriods = 10,
    pastWeeksNotIncluded = 6, weightsThreshold = 2.58, pThresholdTrend = 1,
    thresholdMethod = "nbPlugin", alpha = 0.05, trend = TRUE, reweight = TRUE)),
  monthly_muan = list(freq = 12, n = 132, control = list(b = 5, w = 1, noPeriods = 10,
    pastWeeksNotIncluded = 6, weightsThreshold = 2.58, pThresholdTrend = 1,
    thresholdMethod = "muan", alpha = 0.05, trend = TRUE, reweight = TRUE)),
  monthly_delta = list(freq = 12, n = 132, control = list(b = 5, w = 1, noPeriods = 1,
    pastWeeksNotIncluded = 1, weightsThreshold = 1, pThresholdTrend = 0.05,
    thresholdMethod = "delta", alpha = 0.05, trend = TRUE, reweight = TRUE)),
  weekly_nbplugin = list(freq = 52, n = 52 * 6 + 20, control = list(b = 5, w = 3, noPeriods = 10,
    pastWeeksNotIncluded = 26, weightsThreshold = 2.58, pThresholdTrend = 1,
    thresholdMethod = "nbPlugin", alpha = 0.05, trend = TRUE, reweight = TRUE))
)

for (name in names(configs)) {
  cfg <- configs[[name]]
  for (i in 1:40) {
    id <- sprintf("%s_%02d", name, i)
    level <- exp(runif(1, log(0.8), log(60)))
    size <- sample(c(Inf, 2, 5, 20), 1)
    outbreaks <- sample(1:cfg$n, sample(0:4, 1))
    pop <- if (i %% 8 == 0) round(1e5 * (1 + 0.01 * (1:cfg$n) / cfg$freq)) else NULL
    d <- simulate(id, cfg$n, cfg$freq, level, runif(1, -0.1, 0.15), runif(1, 0, 0.5), size,
                  outbreaks, pop)
    sts <- sts(observed = matrix(d$y, ncol = 1), frequency = cfg$freq, start = c(2015, 1),
               population = matrix(if (is.null(pop)) rep(1, cfg$n) else pop, ncol = 1))
    control <- cfg$control
    control$range <- (cfg$n - 23):cfg$n
    control$populationOffset <- !is.null(pop)
    r <- farringtonFlexible(sts, control)
    series[[id]] <- d
    results[[id]] <- data.frame(series_id = id, config = name, t = control$range,
      observed = as.vector(observed(r)), upperbound = as.vector(upperbound(r)),
      expected = as.vector(r@control$expected), alarm = as.vector(alarms(r)),
      trend = as.vector(r@control$trend))
  }
}
write.csv(do.call(rbind, series), "farrington_series.csv", row.names = FALSE, na = "")
write.csv(do.call(rbind, results), "farrington_results.csv", row.names = FALSE, na = "")

# earsC on the package's example: salmNewport aggregated over units, the weeks of 2011.
data("salmNewport")
salm <- aggregate(salmNewport, by = "unit")
in2011 <- which(isoWeekYear(epoch(salm))$ISOYear == 2011)
ears <- list()
for (method in c("C1", "C2", "C3")) {
  for (alpha in c(0.05, NA)) {
    control <- list(method = method, range = in2011)
    if (!is.na(alpha)) control$alpha <- alpha
    r <- earsC(salm, control = control)
    ears[[paste(method, alpha)]] <- data.frame(method = method,
      alpha = ifelse(is.na(alpha), "default", alpha), t = in2011,
      observed = as.vector(observed(r)), upperbound = as.vector(upperbound(r)),
      alarm = as.vector(alarms(r)))
  }
}
write.csv(data.frame(t = seq_along(observed(salm)), y = as.vector(observed(salm))),
          "salmnewport_aggregated.csv", row.names = FALSE)
write.csv(do.call(rbind, ears), "ears_results.csv", row.names = FALSE, na = "")
cat("written with surveillance", as.character(packageVersion("surveillance")), "\n")
