using System.Text.Json;
using Usher.Cli.Admin;

namespace Usher.Cli.Tests.Admin;

/// <summary>The table renderings of the admin API's answers, compared with text written out by hand.</summary>
public sealed class TableViewTests
{
    [Fact]
    public void RolloutStatus_Canary_ShowsStepOfStepsWeightNextDecisionAndEachCheck()
    {
        var now = new DateTimeOffset(2026, 11, 28, 20, 1, 15, TimeSpan.Zero);

        var text = Render((status, writer) => RolloutStatusView.Write(status, writer, now), AdminSamples.CanaryStatus);

        Assert.Equal(
            """
            rollout 3 on fraud: canary, progressing
              versions  stable v1 -> candidate v2 (model fraud)
              step      2/4, candidate weight 25% (steps 5, 25, 50, 100, every 60s)
              next      decision at 2026-11-28 20:02:00Z (in 45s)
              updated   2026-11-28 20:01:00Z (created 2026-11-28 20:00:00Z)
            analysis: pass - candidate within every threshold
              since 2026-11-28 20:00:00Z: stable requests 950, errors 0; canary requests 50, errors 1
              CHECK        OUTCOME  DETAIL
              error_rate   pass     canary 2.0% vs stable 0.0%, p=0.05 >= alpha 0.01
              latency_p99  pass     ratio 1.10 <= 1.5

            """,
            text);
    }

    [Fact]
    public void RolloutStatus_BlueGreenInRollbackWindow_ShowsWindowReasonAndNoAnalysis()
    {
        var text = Render((status, writer) => RolloutStatusView.Write(status, writer, DateTimeOffset.UnixEpoch), AdminSamples.BlueGreenStatus);

        Assert.Equal(
            """
            rollout 4 on fraud: blue-green, rollback_window
              versions  stable v2 -> candidate v1 (model fraud)
              weight    candidate weight 100%
              window    rollback window ends at 2026-11-28 20:10:00Z
              reason    validated: 50/50 agree
              updated   2026-11-28 20:00:05Z (created 2026-11-28 20:00:00Z)
            analysis: none yet

            """,
            text);
    }

    [Theory]
    [InlineData("2026-11-28T20:01:59.5+00:00", "(in 1s)")]
    [InlineData("2026-11-28T20:00:00+00:00", "(in 2m 0s)")]
    [InlineData("2026-11-28T18:55:00+00:00", "(in 1h 7m)")]
    [InlineData("2026-11-28T20:02:00+00:00", "(due)")]
    [InlineData("2026-11-28T20:02:01+00:00", "(due)")]
    public void RolloutStatus_NextDecision_CountsDownFromNow(string now, string expected)
    {
        var text = Render((status, writer) => RolloutStatusView.Write(status, writer, DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture)), AdminSamples.CanaryStatus);

        Assert.Contains($"  next      decision at 2026-11-28 20:02:00Z {expected}\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void History_ListsTimeRolloutKindActorMessage()
    {
        var text = Render(HistoryView.Write, AdminSamples.History);

        Assert.Equal(
            """
            history of fraud (3 events)
            TIME                  ROLLOUT  KIND    ACTOR       MESSAGE
            2026-11-28 20:00:00Z  #3       deploy  cli         canary fraud:2 over fraud:1
            2026-11-28 20:01:00Z  #3       step    controller  canary weight 25%
            2026-11-28 20:01:30Z  -        fault   cli         fault on fraud:2

            """,
            text);
    }

    [Fact]
    public void History_NoEvents_SaysSo()
    {
        Assert.Equal("no events on fraud yet\n", Render(HistoryView.Write, """{"endpoint":"fraud","events":[]}"""));
    }

    [Fact]
    public void Endpoints_ListsVariantsWithWeightsRolloutAndFaults()
    {
        var text = Render(EndpointsView.Write, AdminSamples.Endpoints);

        Assert.Equal(
            """
            ENDPOINT   VARIANTS                  ROLLOUT                FAULTS
            fraud      fraud:1 75%, fraud:2 25%  #3 canary progressing  fraud:2 abort 10% with 503
            mlp-large  mlp-large:1 100%          -                      -

            """,
            text);
    }

    [Fact]
    public void Endpoints_AFaultForOneReplica_NamesItsReplica()
    {
        var text = Render(EndpointsView.Write, """
            {"endpoints":[{"name":"fraud","variants":[{"model":"fraud","version":2,"weight":100}],"rollout":null,
              "faults":[{"variant":"fraud:2","abort_fraction":0.1,"abort_status":503,"delay_ms":0,"delay_fraction":0},
                        {"variant":"fraud:2","abort_fraction":1,"abort_status":507,"delay_ms":0,"delay_fraction":0,"replica":"host-b"}]}],"stale":[]}
            """);

        Assert.Equal(
            """
            ENDPOINT  VARIANTS      ROLLOUT  FAULTS
            fraud     fraud:2 100%  -        fraud:2 abort 10% with 503, fraud:2 abort 100% with 507 on replica host-b only

            """,
            text);
    }

    [Fact]
    public void Replicas_ListsEachReplica_TheLeaderMarked_ADownOneWithWhenItWentDown()
    {
        var text = Render(ReplicasView.Write, """
            {"replicas":[
              {"id":"host-a-01","http_address":"http://10.0.0.5:8000","grpc_address":"http://10.0.0.5:8001","region":"eu","labels":{"zone":"b","hw":"gpu"},"up":true,"leader":true,
               "started_at":"2026-12-06T08:00:00+00:00","heartbeat_at":"2026-12-06T08:10:02+00:00","down_at":null,
               "models":[{"model":"fraud","version":1,"ready":true},{"model":"fraud","version":2,"ready":false,"hardware":"gpu"}],"queue_depth":3,"in_flight":2,"capacity":4},
              {"id":"host-b-02","http_address":"http://10.0.0.6:8000","grpc_address":null,"region":"eu","labels":{},"up":false,"leader":false,
               "started_at":"2026-12-06T08:00:00+00:00","heartbeat_at":"2026-12-06T08:05:00+00:00","down_at":"2026-12-06T08:05:10+00:00",
               "models":[],"queue_depth":0,"in_flight":0,"capacity":0}],
             "answered_by":"host-a-01"}
            """);

        Assert.Equal(
            """
            ID         STATE       SINCE                 REGION  LABELS         HTTP                  GRPC                  MODELS                        QUEUE  IN-FLIGHT  CAPACITY
            host-a-01  up, leader  2026-12-06 08:10:02Z  eu      hw=gpu,zone=b  http://10.0.0.5:8000  http://10.0.0.5:8001  fraud:1, fraud:2 (not ready)  3      2          4
            host-b-02  down        2026-12-06 08:05:10Z  eu      -              http://10.0.0.6:8000  -                     -                             0      0          0
            (SINCE: the last heartbeat of a replica that is up, when a down one was marked down; answered by host-a-01)

            """,
            text);
    }

    [Fact]
    public void Fault_Set_DescribesAbortAndDelay()
    {
        var text = Render(FaultView.Write, """
            {"endpoint":"fraud","variant":"fraud:2","fault":{"abort_fraction":0.125,"abort_status":500,"delay_ms":200,"delay_fraction":0.5}}
            """);

        Assert.Equal("fault on fraud:2 (endpoint fraud): abort 12.5% with 500; delay 200 ms on 50%\n", text);
    }

    [Theory]
    [InlineData(true, "cleared the fault on fraud:2 (endpoint fraud)\n")]
    [InlineData(false, "fraud:2 had no fault to clear (endpoint fraud)\n")]
    public void Fault_Cleared_SaysWhetherThereWasOne(bool cleared, string expected)
    {
        var json = $$"""{"endpoint":"fraud","variant":"fraud:2","cleared":{{(cleared ? "true" : "false")}}}""";

        Assert.Equal(expected, Render(FaultView.Write, json));
    }

    private static string Render(Action<JsonElement, TextWriter> view, string json)
    {
        using var document = JsonDocument.Parse(json);
        var writer = new StringWriter { NewLine = "\n" };
        view(document.RootElement, writer);
        return writer.ToString();
    }
}
