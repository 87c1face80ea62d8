# Included by ctest after the discovered (gtest) tests are defined (CMakeLists.txt): estimates of
# the longest tests' time, in seconds of one core (docs/testing.md), so that
# `ctest -j2` starts them first. ctest orders by COST; without one it uses the
# times of the last run (build/Testing/Temporary/CTestCostData.txt), and on a
# fresh build, which has none, the order the tests were defined in: the
# slowest (cli.*, calibrate.*) came last and ended the run on one core. Only
# an order: a test missing from the list still runs, a name no longer defined
# is ignored. The one-process suites (ONE_PROCESS) get theirs in CMakeLists.txt.
set_tests_properties(cli.Report.ChartsAndPageFromARealRun PROPERTIES COST 3.2)
set_tests_properties(app.EngineRecovery.NinetyPercentIntervalsCoverTheEnginesTrueParameters PROPERTIES COST 2.3)
set_tests_properties(cli.Faults.OneFailedWriteAnywhereGivesExit3OrTheCleanFile PROPERTIES COST 2.0)
set_tests_properties(calibrate.CalibrateSynthetic.NinetyPercentIntervalsOfCalibrateCoverTheTrueRates PROPERTIES COST 2.0)
set_tests_properties(cli.Report.WithoutDriversNoTornadoAndChartsAreReproducible PROPERTIES COST 1.9)
set_tests_properties(app.EngineForecaster.SameBytesForAnyThreadCount PROPERTIES COST 1.5)
set_tests_properties(calibrate.CalibrateBacktest.BenchmarkScoresOfJanuaryStockOnTheShippedPanel PROPERTIES COST 1.4)
set_tests_properties(cli.Resume.AfterAKillGivesIdenticalDatasets PROPERTIES COST 1.4)
set_tests_properties(cli.Report.DeterministicFileWithAnAwkwardName PROPERTIES COST 1.3)
set_tests_properties(file.Python.XarrayReadsNamedDimensions PROPERTIES COST 1.2)
set_tests_properties(cli.CliBacktest.TheContractsCommandLineWritesFilesAndCharts PROPERTIES COST 1.2)
set_tests_properties(model.Halton.MitigatedVariantsReproduceTheDbvTableAndOpportunities PROPERTIES COST 1.2)
set_tests_properties(calibrate.CalibrateRateVariation.CalibratedScenarioCarriesTheFittedVariation PROPERTIES COST 1.1)
set_tests_properties(calibrate.CalibrateBacktest.StrictCutDeletingEveryRowAfterTheOriginChangesNoByte PROPERTIES COST 1.1)
set_tests_properties(cli.IoErrors.FileSizeLimitAtAnyPointIsAClearErrorAndLeavesNothing PROPERTIES COST 0.9)
set_tests_properties(app.EngineRecovery.TheGeneratedHistoryIsTheRunnersReplicate PROPERTIES COST 0.8)
set_tests_properties(cli.Cluster.MpiUnwritableOutputEndsEveryRank PROPERTIES COST 0.8)
