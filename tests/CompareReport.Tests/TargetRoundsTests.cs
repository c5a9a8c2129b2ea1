namespace CompareReport.Tests;

/// <summary>
/// How the target rounds of <c>benchmarks/compare/run.sh</c> pair each round's two points into a ratio: only points of
/// the same round, model, concurrency and kind (closed-loop <c>wrk</c>, paced <c>wrk</c>, <c>usher bench --rate</c>),
/// never the sweep's; a round that lacks one of the two points, or whose denominator is zero or NaN, is left out.
/// </summary>
public sealed class TargetRoundsTests
{
    private const string Fraud = "fraud";
    private const string Large = "mlp-large";
    private const string Off = "usher-off";
    private const string On = "usher-on";
    private const string Naive = "naive";
    private const string NoShadow = "usher-off-noshadow";
    private const string Shadow = "usher-off-shadow10";

    [Fact]
    public void Throughput_PairsEachRoundsTwoPoints_AndIgnoresTheSweep()
    {
        var rounds = new TargetRounds([], [
            Wrk(Fraud, Off, 64, 50_000, round: 1), Wrk(Fraud, Naive, 64, 40_000, round: 1),
            Wrk(Fraud, Naive, 64, 50_000, round: 2), Wrk(Fraud, Off, 64, 60_000, round: 2),
            Wrk(Fraud, Off, 64, 40_000, round: 3), Wrk(Fraud, Naive, 64, 60_000, round: 3),

            // The sweep's points (no round) at the same concurrency, and other models and concurrencies: not paired.
            Wrk(Fraud, Off, 64, 99_000), Wrk(Fraud, Naive, 64, 1_000),
            Wrk(Large, Off, 64, 1, round: 1), Wrk(Large, Naive, 64, 1_000_000, round: 1),
            Wrk(Fraud, Off, 32, 1, round: 2), Wrk(Fraud, Naive, 32, 1_000_000, round: 2),
        ]);

        var ratios = rounds.Throughput(Fraud, Off, Naive, 64);

        Assert.Equal([(1, 50_000.0, 40_000.0), (2, 60_000.0, 50_000.0), (3, 40_000.0, 60_000.0)], ratios.Select(r => (r.Round, r.Numerator, r.Denominator)));

        // 1.25, 1.2, 0.667: the median is round 2's 1.2, where the ratio of the two servers' medians would be 50,000 / 50,000 = 1.
        Assert.Equal(1.2, RoundRatio.Median(ratios)!.Value, 12);
    }

    [Fact]
    public void Throughput_ARoundMissingAPoint_IsLeftOut_AndAnEvenCountAveragesTheMiddleTwo()
    {
        // Round 2 has no naive point and round 5 no Usher point, so rounds 1, 3 and 4 give 1.25, 2 and 1.5: median
        // 1.5 (a 9,000 req/s round 2 paired with any other round's naive point would move it to at least 1.75).
        // Without round 3, an even count: the mean of 1.25 and 1.5.
        var rounds = new TargetRounds([], [
            Wrk(Large, On, 64, 1_250, round: 1), Wrk(Large, Naive, 64, 1_000, round: 1),
            Wrk(Large, On, 64, 9_000, round: 2),
            Wrk(Large, On, 64, 2_000, round: 3), Wrk(Large, Naive, 64, 1_000, round: 3),
            Wrk(Large, On, 64, 1_500, round: 4), Wrk(Large, Naive, 64, 1_000, round: 4),
            Wrk(Large, Naive, 64, 1, round: 5),
        ]);

        var ratios = rounds.Throughput(Large, On, Naive, 64);

        Assert.Equal([1, 3, 4], ratios.Select(r => r.Round));
        Assert.Equal(1.5, RoundRatio.Median(ratios));
        Assert.Equal(1.375, RoundRatio.Median([.. ratios.Where(r => r.Round != 3)]));
        Assert.Equal([1, 2, 3, 4, 5], rounds.Numbers);
    }

    [Fact]
    public void Throughput_ARoundWhoseDenominatorIsZeroOrNaN_IsLeftOut()
    {
        // The naive server answered nothing in round 2 (0 req/s) and round 4 measured NaN: rounds 1 and 3 remain,
        // 1.25 and 0.75, and the median is their mean, 1.
        var rounds = new TargetRounds([], [
            Wrk(Fraud, Off, 64, 1_250, round: 1), Wrk(Fraud, Naive, 64, 1_000, round: 1),
            Wrk(Fraud, Off, 64, 1_000, round: 2), Wrk(Fraud, Naive, 64, 0, round: 2),
            Wrk(Fraud, Off, 64, 750, round: 3), Wrk(Fraud, Naive, 64, 1_000, round: 3),
            Wrk(Fraud, Off, 64, 1_000, round: 4), Wrk(Fraud, Naive, 64, double.NaN, round: 4),
        ]);

        var ratios = rounds.Throughput(Fraud, Off, Naive, 64);

        Assert.Equal([1, 3], ratios.Select(r => r.Round));
        Assert.Equal(1.0, RoundRatio.Median(ratios));
    }

    [Fact]
    public void Throughput_WithoutRounds_IsEmpty_AndJudgesNothing()
    {
        var rounds = new TargetRounds([], [Wrk(Fraud, Off, 64, 55_000), Wrk(Fraud, Naive, 64, 50_000)]);

        Assert.False(rounds.Any);
        Assert.Null(rounds.Top);
        Assert.Empty(rounds.Numbers);
        Assert.Empty(rounds.Throughput(Fraud, Off, Naive, 64));
        Assert.Null(RoundRatio.Median(rounds.Throughput(Fraud, Off, Naive, 64)));
    }

    [Fact]
    public void PacedShadow_IsThePrimarysP99WithTheShadowOverWithout_FromThePacedPointsOnly()
    {
        // p99 with / without: 3 / 2 = 1.5, 2 / 1 = 2, 1.25 / 1 = 1.25; the median is 1.5. The closed-loop points of
        // the same servers in the same rounds (no rate) must not be paired with them.
        var rounds = new TargetRounds([], [
            Paced(NoShadow, p99: 2.0, round: 1), Paced(Shadow, p99: 3.0, round: 1),
            Paced(Shadow, p99: 2.0, round: 2), Paced(NoShadow, p99: 1.0, round: 2),
            Paced(NoShadow, p99: 1.0, round: 3), Paced(Shadow, p99: 1.25, round: 3),
            Wrk(Fraud, NoShadow, 64, 1_000, round: 1, p99: 100), Wrk(Fraud, Shadow, 64, 1_000, round: 1, p99: 1),
        ]);

        var ratios = rounds.PacedShadow(NoShadow, Shadow);

        Assert.Equal([(1, 3.0, 2.0), (2, 2.0, 1.0), (3, 1.25, 1.0)], ratios.Select(r => (r.Round, r.Numerator, r.Denominator)));
        Assert.Equal(1.5, RoundRatio.Median(ratios));
        Assert.Empty(rounds.OpenLoopShadow(NoShadow, Shadow));
    }

    [Fact]
    public void OpenLoopShadow_IsThePrimarysP99WithTheShadowOverWithout_FromTheOpenLoopPointsOnly()
    {
        // Ratios 2.5 / 2 = 1.25 and 1 / 2 = 0.5 (even count: median 0.875); a closed-loop point of a round, and
        // the sweep's open-loop points, are not paired.
        var rounds = new TargetRounds(
            [
                Bench(NoShadow, open: true, p99: 2.0, round: 1), Bench(Shadow, open: true, p99: 2.5, round: 1),
                Bench(Shadow, open: true, p99: 1.0, round: 2), Bench(NoShadow, open: true, p99: 2.0, round: 2),
                Bench(Shadow, open: false, p99: 100, round: 3), Bench(NoShadow, open: false, p99: 1, round: 3),
                Bench(Shadow, open: true, p99: 100, round: null), Bench(NoShadow, open: true, p99: 1, round: null),
            ],
            []);

        var ratios = rounds.OpenLoopShadow(NoShadow, Shadow);

        Assert.Equal([(1, 2.5, 2.0), (2, 1.0, 2.0)], ratios.Select(r => (r.Round, r.Numerator, r.Denominator)));
        Assert.Equal(0.875, RoundRatio.Median(ratios));
        Assert.True(rounds.Any);
        Assert.Equal([1, 2], rounds.Numbers);
    }

    [Fact]
    public void Top_IsTheHighestConcurrencyOfTheRoundsClosedLoopPoints()
    {
        var rounds = new TargetRounds([], [
            Wrk(Fraud, On, 1, 100, round: 1), Wrk(Fraud, Off, 64, 100, round: 1),
            Wrk(Fraud, Off, 256, 100), Paced(NoShadow, p99: 1, round: 1, concurrency: 512),
        ]);

        Assert.Equal(64, rounds.Top);
    }

    private static WrkPoint Wrk(string model, string server, int concurrency, double throughput, int? round = null, double p99 = 1)
        => new(model, server, concurrency, throughput, P50: p99 / 2, P99: p99, Errors: 0, Round: round);

    private static WrkPoint Paced(string server, double p99, int round, int concurrency = 64)
        => new(Fraud, server, concurrency, Throughput: 2_000, P50: p99 / 2, P99: p99, Errors: 0, Rate: 2_000, Late: 0, Round: round);

    private static Point Bench(string server, bool open, double p99, int? round)
        => new(Fraud, server, "rest", open, open ? 2_000 : null, 64, 2_000, p99 / 2, p99, p99 * 2, 0, "", 1, 5, null, 20, 10, round);
}
