# Reference values for the time-to-conversion statistics, computed with R's
# survival package (survfit, its print/summary table, quantile.survfit, survdiff).
# Run:  Rscript tests/references/survival.R
# Writes survival_r.json next to this script. Numbers use 17 significant
# digits; NaN/NA is written as null. Generated with R 4.2.2 and survival 3.5.3
# (Debian: apt-get install r-base-core r-cran-survival).

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(file_arg)) dirname(normalizePath(file_arg)) else getwd()
out_path <- file.path(out_dir, "survival_r.json")

# ---------------------------------------------------------------- JSON helpers
jnum <- function(x) {
  x <- unname(as.numeric(x))
  if (is.na(x)) return("null")
  if (is.infinite(x)) return(if (x > 0) "Infinity" else "-Infinity")
  sprintf("%.17g", x)
}
jstr <- function(s) {
  s <- gsub("\\\\", "\\\\\\\\", s)
  s <- gsub("\"", "\\\\\"", s)
  paste0("\"", s, "\"")
}
jval <- function(v) {
  if (is.null(v)) return("null")
  v <- unname(v)
  if (is.character(v) || is.factor(v)) {
    v <- as.character(v)
    if (length(v) == 1) jstr(v) else paste0("[", paste(vapply(v, jstr, ""), collapse = ", "), "]")
  } else if (is.list(v)) {
    paste0("[", paste(vapply(v, jval, ""), collapse = ", "), "]")
  } else if (length(v) == 1) {
    jnum(v)
  } else {
    paste0("[", paste(vapply(v, jnum, ""), collapse = ", "), "]")
  }
}
jobj <- function(lst) {
  paste0("{", paste(sprintf("%s: %s", vapply(names(lst), jstr, ""),
                            vapply(lst, jval, "")), collapse = ", "), "}")
}
jarr <- function(objs) paste0("[\n    ", paste(objs, collapse = ",\n    "), "\n  ]")

# --------------------------------------------------------------------- data
# Days to conversion: an exponential time rounded up to whole days (many ties),
# censored at a drop-out day and at the end of the experiment.
arm <- function(n, rate, end = 30, first_dropout = 5) {
  conv <- ceiling(rexp(n, rate))
  cens <- pmin(sample(first_dropout:(end + 10), n, replace = TRUE), end)
  list(time = pmin(conv, cens), event = as.numeric(conv <= cens))
}
set.seed(20261204)
two <- list(a = arm(80, 0.06), b = arm(80, 0.09))
three <- list(a = arm(50, 0.05), b = arm(50, 0.07), c = arm(50, 0.10))
heavy <- list(a = arm(60, 0.008, end = 20), b = arm(60, 0.02, end = 20))
late <- arm(40, 0.045, end = 25, first_dropout = 15)   # median reached, its CI not
large <- arm(2000, 0.03, end = 45)
# conversions and censorings at the same times
ties <- list(time  = c(1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 5, 6, 7, 7, 8, 8, 9, 10),
             event = c(1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1))
# the curve is exactly at 0.5 at day 5 and steps again at day 8: median (5 + 8) / 2
flat <- list(time = c(1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
             event = c(1, 1, 1, 1, 1, 0, 0, 1, 0, 0))
# the curve stops at 0.5 at day 4 (censorings only after): print(fit) says 4,
# quantile(fit, 0.5) (4 + last day 8) / 2 = 6
flat_end <- list(time = 1:8, event = c(1, 1, 1, 1, 0, 0, 0, 0))
# aggregated rows: one row per (time, event) with a count of units
agg <- list(time  = c(1, 1, 2, 3, 3, 5, 8, 8, 12, 12),
            event = c(1, 0, 1, 1, 0, 1, 1, 0, 1, 0),
            count = c(30, 5, 20, 12, 8, 10, 6, 40, 3, 15))

# ------------------------------------------------------------ 1. survfit
km_entries <- character()
km_case <- function(name, d) {
  w <- d$count
  if (is.null(w)) {
    fit <- survfit(Surv(d$time, d$event) ~ 1)
    call <- "survfit(Surv(time, event) ~ 1)"
  } else {
    fit <- survfit(Surv(d$time, d$event) ~ 1, weights = w)
    call <- "survfit(Surv(time, event) ~ 1, weights = count)"
    # integer case weights are the expanded unit rows
    unit <- survfit(Surv(rep(d$time, w), rep(d$event, w)) ~ 1)
    stopifnot(isTRUE(all.equal(fit$surv, unit$surv, tolerance = 1e-14)),
              isTRUE(all.equal(fit$std.err, unit$std.err, tolerance = 1e-14)),
              isTRUE(all.equal(quantile(fit, 0.5), quantile(unit, 0.5))))
  }
  # the median and its interval as print(fit) shows them (summary(fit)$table);
  # quantile(fit, 0.5) differs where the curve ends flat at 0.5 (it averages with the
  # last time) and where the upper band is not monotone: recorded for comparison
  tab <- summary(fit)$table
  q <- quantile(fit, 0.5)  # conf.type "log" (the default), conf.int 0.95
  jobj(list(name = name, call = call, time_in = d$time, event = d$event, count = w,
            conf_type = fit$conf.type, conf_int = fit$conf.int,
            time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event,
            surv = fit$surv, std_err = fit$std.err, lower = fit$lower, upper = fit$upper,
            median = tab["median"], median_lower = tab["0.95LCL"],
            median_upper = tab["0.95UCL"], quantile_median = q$quantile,
            quantile_lower = q$lower, quantile_upper = q$upper))
}
km_entries <- c(km_entries,
  km_case("two_arms_a", two$a), km_case("two_arms_b", two$b),
  km_case("three_arms_a", three$a), km_case("three_arms_b", three$b),
  km_case("three_arms_c", three$c),
  km_case("heavy_censoring_a", heavy$a), km_case("heavy_censoring_b", heavy$b),
  km_case("median_ci_open", late), km_case("large", large),
  km_case("ties", ties), km_case("flat_at_half", flat),
  km_case("flat_at_half_to_end", flat_end), km_case("weights", agg))

# ----------------------------------------------------------- 2. survdiff
lr_entries <- character()
lr_case <- function(name, arms, count = NULL) {
  time <- unlist(lapply(arms, `[[`, "time"))
  event <- unlist(lapply(arms, `[[`, "event"))
  group <- rep(names(arms), vapply(arms, function(a) length(a$time), 1L))
  if (is.null(count)) {
    fit <- survdiff(Surv(time, event) ~ group)
    call <- "survdiff(Surv(time, event) ~ group)"
  } else {
    # survdiff has no weights: expand the aggregated rows into unit rows
    fit <- survdiff(Surv(rep(time, count), rep(event, count)) ~ rep(group, count))
    call <- "survdiff(Surv(rep(time, count), rep(event, count)) ~ rep(group, count))"
  }
  df <- sum(fit$exp > 0) - 1
  jobj(list(name = name, call = call, time = time, event = event, group = group,
            count = count, chisq = fit$chisq, df = df,
            p_value = pchisq(fit$chisq, df, lower.tail = FALSE),
            n = as.numeric(fit$n), observed = fit$obs, expected = fit$exp,
            variance = as.vector(fit$var)))
}
# an arm whose units are all censored before the first conversion: expected 0,
# survdiff leaves it out of the test (2 degrees of freedom, not 3)
early <- list(a = two$a, b = two$b, c = three$c,
              z = list(time = c(0.5, 0.5, 0.25), event = c(0, 0, 0)))
agg_arms <- list(a = list(time = c(1, 1, 2, 3, 3, 5, 8, 8), event = c(1, 0, 1, 1, 0, 1, 1, 0)),
                 b = list(time = c(1, 2, 2, 4, 6, 8, 8), event = c(1, 1, 0, 1, 1, 1, 0)))
agg_count <- c(30, 5, 20, 12, 8, 10, 6, 40, 22, 25, 4, 18, 9, 7, 51)
lr_entries <- c(lr_entries,
  lr_case("two_arms", two), lr_case("three_arms", three),
  lr_case("heavy_censoring", heavy),
  lr_case("ties", list(a = list(time = ties$time[1:9], event = ties$event[1:9]),
                       b = list(time = ties$time[10:18], event = ties$event[10:18]))),
  lr_case("arm_without_expected", early),
  lr_case("large", list(a = large, b = late)),
  lr_case("weights", agg_arms, agg_count))

# ------------------------------------------------------------------- write
sections <- list(kaplan_meier = km_entries, logrank = lr_entries)
header <- sprintf("  \"generated_with\": %s", jstr(sprintf(
  "%s, survival %s", R.version.string, as.character(packageVersion("survival")))))
body <- paste(sprintf("  %s: %s", vapply(names(sections), jstr, ""),
                      vapply(sections, jarr, "")), collapse = ",\n")
writeLines(paste0("{\n", header, ",\n", body, "\n}"), out_path)
cat("wrote", out_path, "\n")
for (nm in names(sections)) cat(nm, length(sections[[nm]]), "\n")
