# Included by ctest after the discovered (gtest) tests are defined (CMakeLists.txt).
# Label "statistical": tests whose point is a statistical property measured over
# thousands of replicates or the whole shipped panel (interval coverage, the
# variance reduction of common random numbers, published DBV figures). The
# AddressSanitizer job leaves them out (scripts/sanitize.sh): at -O0 under ASan
# they cost about a fifth of its test time, and every function they call is also
# run under ASan by the smaller tests of the same module. The Release suite runs
# them as before. A name no longer defined is ignored.
foreach(statistical_test
    calibrate.CalibrateSynthetic.NinetyPercentIntervalsOfCalibrateCoverTheTrueRates
    app.EngineRecovery.NinetyPercentIntervalsCoverTheEnginesTrueParameters
    model.SlowCoupling.VarianceReductionOfTheLowerTargetOpportunity
    model.SlowCoupling.FixedParameterOpportunitySpread
    model.Halton.MitigatedVariantsReproduceTheDbvTableAndOpportunities
    model.WestBerkshire.ReproducesThePublishedDeficitsAndSavings
    calibrate.CalibrateBacktest.BenchmarkScoresOfJanuaryStockOnTheShippedPanel)
  set_tests_properties(${statistical_test} PROPERTIES LABELS statistical)
endforeach()
