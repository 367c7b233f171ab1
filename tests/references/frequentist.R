# Reference values for the frequentist tests, computed with base R (stats).
# Run:  Rscript tests/references/frequentist.R
# Writes frequentist_r.json next to this script. Numbers use 17 significant
# digits; +/-Inf is written as the literal Infinity / -Infinity (accepted by
# Python's json module), NaN/NA as null. Generated with R 4.2.2.


args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(file_arg)) dirname(normalizePath(file_arg)) else getwd()
out_path <- file.path(out_dir, "frequentist_r.json")

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
jbool <- function(b) if (isTRUE(b)) "true" else "false"
jval <- function(v) {
  if (is.character(v)) {
    if (length(v) == 1) jstr(v) else paste0("[", paste(vapply(v, jstr, ""), collapse = ", "), "]")
  } else if (is.logical(v)) {
    jbool(v)
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

# Format a number for inclusion in a call string exactly as typed.
fmt <- function(x) format(x, digits = 15, scientific = FALSE, trim = TRUE)
fmtv <- function(v) paste0("c(", paste(vapply(v, fmt, ""), collapse = ", "), ")")

alts <- c("two.sided", "greater", "less")

cases <- list(
  c(17489, 145274, 17264, 145310),  # Udacity
  c(8502, 44700, 8279, 45489),      # Cookie Cats
  c(10, 100, 20, 100),
  c(1, 50, 7, 50),
  c(120, 1000, 150, 1000),
  c(0, 30, 3, 30),
  c(45, 200, 45, 210),
  c(3000, 100000, 3300, 100000),
  c(5, 20, 14, 25)
)

# ---------------------------------------------------------------- 1. prop.test
prop_entries <- character()
for (cs in cases) {
  x1 <- cs[1]; n1 <- cs[2]; x2 <- cs[3]; n2 <- cs[4]
  for (correct in c(FALSE, TRUE)) {
    for (alt in alts) {
      call <- sprintf("prop.test(c(%s, %s), c(%s, %s), correct=%s, alternative=\"%s\", conf.level=0.95)",
                      fmt(x1), fmt(x2), fmt(n1), fmt(n2), correct, alt)
      r <- suppressWarnings(eval(parse(text = call)))
      prop_entries <- c(prop_entries, jobj(list(
        call = call, x1 = x1, n1 = n1, x2 = x2, n2 = n2, correct = correct,
        alternative = alt, statistic = r$statistic, p_value = r$p.value,
        conf_low = r$conf.int[1], conf_high = r$conf.int[2],
        estimate1 = r$estimate[1], estimate2 = r$estimate[2])))
    }
  }
}

# -------------------------------------------------------------- 2. fisher.test
tab_call <- function(x1, n1, x2, n2)
  sprintf("matrix(c(%s, %s, %s, %s), nrow=2, byrow=TRUE)",
          fmt(x1), fmt(n1 - x1), fmt(x2), fmt(n2 - x2))

fisher_entries <- character()
for (cs in cases) {
  x1 <- cs[1]; n1 <- cs[2]; x2 <- cs[3]; n2 <- cs[4]
  big <- max(n1, n2) > 1000
  if (big && !(x1 == 3000 && n1 == 100000)) next
  for (alt in alts) {
    call <- sprintf("fisher.test(%s, alternative=\"%s\", conf.level=0.95)",
                    tab_call(x1, n1, x2, n2), alt)
    t0 <- proc.time()[["elapsed"]]
    r <- eval(parse(text = call))
    el <- proc.time()[["elapsed"]] - t0
    if (big && el > 5) stop("fisher.test too slow for large case")
    fisher_entries <- c(fisher_entries, jobj(list(
      call = call, x1 = x1, n1 = n1, x2 = x2, n2 = n2, alternative = alt,
      p_value = r$p.value, estimate = r$estimate,
      conf_low = r$conf.int[1], conf_high = r$conf.int[2])))
  }
}

# --------------------------------------------------------------- 3. chisq.test
chisq_entries <- character()
for (cs in cases) {
  x1 <- cs[1]; n1 <- cs[2]; x2 <- cs[3]; n2 <- cs[4]
  for (correct in c(FALSE, TRUE)) {
    call <- sprintf("chisq.test(%s, correct=%s)", tab_call(x1, n1, x2, n2), correct)
    r <- suppressWarnings(eval(parse(text = call)))
    chisq_entries <- c(chisq_entries, jobj(list(
      call = call, kind = "2x2", x1 = x1, n1 = n1, x2 = x2, n2 = n2,
      correct = correct, statistic = r$statistic, df = r$parameter,
      p_value = r$p.value)))
  }
}
# k-arm omnibus: rows = arms, columns = (conversions, non-conversions)
arms_list <- list(
  list(conv = c(100, 120, 140), n = c(1000, 1000, 1000)),
  list(conv = c(50, 60, 45, 80), n = c(1000, 1100, 900, 1000))
)
for (arms in arms_list) {
  k <- length(arms$conv)
  cells <- as.vector(rbind(arms$conv, arms$n - arms$conv))
  call <- sprintf("chisq.test(matrix(%s, ncol=2, byrow=TRUE), correct=FALSE)", fmtv(cells))
  r <- suppressWarnings(eval(parse(text = call)))
  chisq_entries <- c(chisq_entries, jobj(list(
    call = call, kind = "omnibus", conversions = arms$conv, n = arms$n,
    correct = FALSE, statistic = r$statistic, df = r$parameter,
    p_value = r$p.value)))
}
# goodness of fit (sample ratio mismatch)
gof_calls <- c(
  "chisq.test(c(50123, 49877), p=c(0.5,0.5))",
  "chisq.test(c(10000, 10400), p=c(.5,.5))",
  "chisq.test(c(3300, 3300, 3500), p=c(1,1,1)/3)",
  "chisq.test(c(2000, 6000), p=c(.25,.75))"
)
for (call in gof_calls) {
  r <- eval(parse(text = call))
  chisq_entries <- c(chisq_entries, jobj(list(
    call = call, kind = "goodness_of_fit", observed = as.numeric(r$observed),
    p = as.numeric(r$expected / sum(r$observed)),
    statistic = r$statistic, df = r$parameter, p_value = r$p.value)))
}

# ---------------------------------------------------------- 4. power.prop.test
pp_entries <- character()
pairs <- list(c(0.05, 0.055), c(0.10, 0.12), c(0.04, 0.044), c(0.20, 0.25),
              c(0.5, 0.6), c(0.01, 0.012))
palts <- c("two.sided", "one.sided")
for (pr in pairs) for (pw in c(0.8, 0.9)) for (sl in c(0.05, 0.01)) for (alt in palts) {
  call <- sprintf("power.prop.test(p1=%s, p2=%s, power=%s, sig.level=%s, alternative=\"%s\", tol=1e-12)$n",
                  fmt(pr[1]), fmt(pr[2]), fmt(pw), fmt(sl), alt)
  v <- eval(parse(text = call))
  pp_entries <- c(pp_entries, jobj(list(
    call = call, solve_for = "n", p1 = pr[1], p2 = pr[2], power = pw,
    sig_level = sl, alternative = alt, n = v)))
}
for (cs in list(c(1000, 0.1, 0.12), c(5000, 0.05, 0.055), c(31000, 0.05, 0.055),
                c(200, 0.3, 0.4))) for (alt in palts) {
  call <- sprintf("power.prop.test(n=%s, p1=%s, p2=%s, sig.level=0.05, alternative=\"%s\", tol=1e-12)$power",
                  fmt(cs[1]), fmt(cs[2]), fmt(cs[3]), alt)
  v <- eval(parse(text = call))
  pp_entries <- c(pp_entries, jobj(list(
    call = call, solve_for = "power", n = cs[1], p1 = cs[2], p2 = cs[3],
    sig_level = 0.05, alternative = alt, power = v)))
}
for (cs in list(c(1000, 0.1), c(10000, 0.05), c(50000, 0.02), c(3000, 0.3))) for (alt in palts) {
  call <- sprintf("power.prop.test(n=%s, p1=%s, power=0.8, sig.level=0.05, alternative=\"%s\", tol=1e-12)$p2",
                  fmt(cs[1]), fmt(cs[2]), alt)
  v <- eval(parse(text = call))
  pp_entries <- c(pp_entries, jobj(list(
    call = call, solve_for = "p2", n = cs[1], p1 = cs[2], power = 0.8,
    sig_level = 0.05, alternative = alt, p2 = v)))
}

# ------------------------------------------------------------- 5. power.t.test
pt_entries <- character()
for (ds in list(c(1, 2), c(0.5, 1), c(2, 10), c(0.2, 1), c(5, 4))) for (pw in c(0.8, 0.9)) for (alt in palts) {
  call <- sprintf("power.t.test(delta=%s, sd=%s, power=%s, sig.level=0.05, type=\"two.sample\", alternative=\"%s\", tol=1e-12)$n",
                  fmt(ds[1]), fmt(ds[2]), fmt(pw), alt)
  v <- eval(parse(text = call))
  pt_entries <- c(pt_entries, jobj(list(
    call = call, solve_for = "n", type = "two.sample", delta = ds[1], sd = ds[2],
    power = pw, sig_level = 0.05, alternative = alt, n = v)))
}
for (cs in list(c(20, 1, 2), c(100, 0.5, 1), c(10, 5, 4))) for (alt in palts) {
  call <- sprintf("power.t.test(n=%s, delta=%s, sd=%s, sig.level=0.05, type=\"two.sample\", alternative=\"%s\", tol=1e-12)$power",
                  fmt(cs[1]), fmt(cs[2]), fmt(cs[3]), alt)
  v <- eval(parse(text = call))
  pt_entries <- c(pt_entries, jobj(list(
    call = call, solve_for = "power", type = "two.sample", n = cs[1], delta = cs[2],
    sd = cs[3], sig_level = 0.05, alternative = alt, power = v)))
}

# ------------------------------------------------------------------ 6. t.test
a  <- c(12.1, 9.8, 11.4, 10.2, 13.3, 8.7, 10.9, 11.8, 9.5, 12.6)
b  <- c(13.2, 11.9, 12.4, 14.1, 10.8, 12.9, 13.7, 11.1, 12.2, 14.6, 13.0, 12.5)
a2 <- c(0, 0, 0, 5, 0, 0, 12.5, 0, 0, 0, 0, 30, 0, 0, 8)
b2 <- c(0, 7, 0, 0, 0, 19.9, 0, 0, 4.5, 0, 0, 0, 0, 25, 0, 0, 9, 0)
tt_entries <- character()
for (pr in list(list(name = "pair1", a = a, b = b), list(name = "pair2", a = a2, b = b2))) {
  for (alt in alts) {
    call <- sprintf("t.test(%s, %s, var.equal=FALSE, alternative=\"%s\")",
                    fmtv(pr$b), fmtv(pr$a), alt)
    r <- eval(parse(text = call))
    tt_entries <- c(tt_entries, jobj(list(
      call = call, pair = pr$name, alternative = alt,
      a = pr$a, b = pr$b,
      n_a = length(pr$a), mean_a = mean(pr$a), var_a = var(pr$a),
      n_b = length(pr$b), mean_b = mean(pr$b), var_b = var(pr$b),
      statistic = r$statistic, df = r$parameter, p_value = r$p.value,
      conf_low = r$conf.int[1], conf_high = r$conf.int[2])))
  }
}

# ------------------------------------------------------------------- write
sections <- list(prop_test = prop_entries, fisher_test = fisher_entries,
                 chisq_test = chisq_entries, power_prop_test = pp_entries,
                 power_t_test = pt_entries, t_test = tt_entries)
body <- paste(sprintf("  %s: %s", vapply(names(sections), jstr, ""),
                      vapply(sections, jarr, "")), collapse = ",\n")
writeLines(paste0("{\n", body, "\n}"), out_path)
cat("wrote", out_path, "\n")
for (nm in names(sections)) cat(nm, length(sections[[nm]]), "\n")
