using System.Net;
using System.Text.Json.Nodes;
using Usher.Cli.Tests.Admin;
using Usher.Testing;

namespace Usher.Cli.Tests.Commands;

/// <summary>
/// The client commands run through the real command tree against a fake admin API: what each sends,
/// what it prints, and its exit code (0 ok, 1 the server refused or could not be reached, 2 usage).
/// </summary>
public sealed class ClientCommandTests : IDisposable
{
    private readonly FakeAdminHandler _handler = new();

    public void Dispose() => _handler.Dispose();

    [Fact]
    public async Task Deploy_SpecFileAndFlags_PostsTheMergedSpecAndPrintsTheRollout()
    {
        _handler.Answer(HttpStatusCode.Created, AdminSamples.CanaryStatus);
        var file = RepoRoot.Combine("samples", "deployments", "fraud-canary.yaml");

        var run = await Run("deploy", file, "--steps", "10,50,100", "--interval", "2m", "--token", "t0k");

        Assert.Equal(0, run.ExitCode);
        var request = _handler.Single;
        Assert.Equal(("POST", "http://127.0.0.1:8000/admin/deployments", "Bearer t0k"), (request.Method, request.Url, request.Authorization));
        var body = JsonNode.Parse(request.Body!)!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"steps":[10,50,100],"interval":"2m"}"""), body["canary"]), request.Body);
        Assert.Equal(("fraud", 2, "canary", 0.01), ((string)body["endpoint"]!, (int)body["version"]!, (string)body["strategy"]!, (double)body["analysis"]!["alpha"]!));
        Assert.StartsWith("rollout 3 on fraud: canary, progressing\n", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deploy_FlagsOnly_PostsThem()
    {
        _handler.Answer(HttpStatusCode.Created, AdminSamples.BlueGreenStatus);

        var run = await Run("deploy", "fraud", "--version", "1", "--strategy", "blue-green", "--rollback-window", "10m");

        Assert.Equal(0, run.ExitCode);
        Assert.True(
            JsonNode.DeepEquals(
                JsonNode.Parse("""{"endpoint":"fraud","version":1,"strategy":"blue-green","blue_green":{"rollback_window":"10m"}}"""),
                JsonNode.Parse(_handler.Single.Body!)),
            _handler.Single.Body);
    }

    [Fact]
    public async Task Deploy_Invalid_PrintsEveryProblemSendsNothingAndExits2()
    {
        var run = await Run("deploy", "fraud", "--version", "2", "--strategy", "canary", "--steps", "50,25", "--interval", "60");

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(_handler.Requests);
        Assert.Equal(
            """
            usher deploy: 3 problems, nothing was sent:
              - --steps: canary.steps: the last step is 25, expected 100 (the canary ends with all traffic)
              - --steps: canary.steps: [50, 25] must be strictly ascending
              - --interval: canary.interval: 60 has no unit (expected a duration such as 500ms, 90s, 10m or 1h; e.g. 60s)

            """,
            run.Error);
    }

    [Fact]
    public async Task Deploy_Conflict_PrintsTheServersMessageWithTheStatusAndExits1()
    {
        _handler.Answer(HttpStatusCode.Conflict, """{"error":"a rollout is already active on fraud (rollout 3, progressing); roll it back or wait"}""");

        var run = await Run("deploy", "fraud", "--version", "2", "--strategy", "direct");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("usher deploy: HTTP 409 Conflict: a rollout is already active on fraud (rollout 3, progressing); roll it back or wait\n", run.Error);
        Assert.Empty(run.Output);
    }

    [Fact]
    public async Task Deploy_BadRequest_PrintsEachProblemAndExits1()
    {
        _handler.Answer(HttpStatusCode.BadRequest, """{"error":"invalid deployment spec","problems":["version: fraud has no version 9"]}""");

        var run = await Run("deploy", "fraud", "--version", "9", "--strategy", "direct");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("usher deploy: HTTP 400 Bad Request: invalid deployment spec\n  - version: fraud has no version 9\n", run.Error);
    }

    [Fact]
    public async Task RolloutStatus_Table_PrintsTheStatus()
    {
        _handler.Answer(HttpStatusCode.OK, AdminSamples.CanaryStatus);

        var run = await Run("rollout", "status", "fraud");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(("GET", "http://127.0.0.1:8000/admin/endpoints/fraud/rollout"), (_handler.Single.Method, _handler.Single.Url));
        Assert.Contains("  step      2/4, candidate weight 25% (steps 5, 25, 50, 100, every 60s)\n", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RolloutStatus_Json_PrintsTheServersJsonIndented()
    {
        _handler.Answer(HttpStatusCode.OK, AdminSamples.CanaryStatus);

        var run = await Run("rollout", "status", "fraud", "--output", "json");

        Assert.Equal(0, run.ExitCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(AdminSamples.CanaryStatus), JsonNode.Parse(run.Output)), run.Output);
        Assert.StartsWith("{\n  \"id\": 3,\n  \"endpoint\": \"fraud\",", run.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("\"next_decision_at\": \"2026-11-28T20:02:00+00:00\"", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RolloutStatus_NeverHadOne_404Exits1WithTheMessage()
    {
        _handler.Answer(HttpStatusCode.NotFound, """{"error":"endpoint 'fraud' has had no rollout"}""");

        var run = await Run("rollout", "status", "fraud");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("usher rollout status: HTTP 404 Not Found: endpoint 'fraud' has had no rollout\n", run.Error);
    }

    [Fact]
    public async Task RolloutRollback_PostsTheReason_UsingServerAndTokenFromTheEnvironment()
    {
        _handler.Answer(HttpStatusCode.OK, AdminSamples.BlueGreenStatus);
        var variables = new Dictionary<string, string> { ["USHER_SERVER"] = "http://usher.internal:9000", ["USHER_TOKEN"] = "env-token" };

        var run = await Run(variables, "rollout", "rollback", "fraud", "--reason", "p99 doubled");

        Assert.Equal(0, run.ExitCode);
        var request = _handler.Single;
        Assert.Equal(("POST", "http://usher.internal:9000/admin/endpoints/fraud/rollout/rollback", "Bearer env-token", """{"reason":"p99 doubled"}"""),
            (request.Method, request.Url, request.Authorization, request.Body));
    }

    [Fact]
    public async Task RolloutPromote_WrongPhase_409Exits1()
    {
        _handler.Answer(HttpStatusCode.Conflict, """{"error":"rollout 3 is rolled_back; only an active rollout can be promoted"}""");

        var run = await Run("rollout", "promote", "fraud");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("usher rollout promote: HTTP 409 Conflict: rollout 3 is rolled_back; only an active rollout can be promoted\n", run.Error);
    }

    [Fact]
    public async Task Unauthorized_Exits1SayingATokenIsNeeded()
    {
        _handler.Answer(HttpStatusCode.Unauthorized, """{"error":"admin token required"}""");

        var run = await Run("rollout", "pause", "fraud");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(
            "usher rollout pause: HTTP 401: admin token required: the server at http://127.0.0.1:8000 needs an admin token; pass --token or set USHER_TOKEN\n",
            run.Error);
    }

    [Fact]
    public async Task ConnectionRefused_Exits1NamingTheServerAndHowToPointElsewhere()
    {
        _handler.RefuseConnections = true;

        var run = await Run("endpoints", "--server", "http://127.0.0.1:8123");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(
            "usher endpoints: cannot reach the Usher server at http://127.0.0.1:8123: Connection refused (127.0.0.1:8123) (is `usher serve` running? set --server or USHER_SERVER)\n",
            run.Error);
    }

    [Fact]
    public async Task BadServerUrl_Exits2NamingTheVariable()
    {
        var run = await Run(new Dictionary<string, string> { ["USHER_SERVER"] = "localhost" }, "endpoints");

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(_handler.Requests);
        Assert.Equal("usher endpoints: USHER_SERVER: expected an http:// or https:// URL such as http://127.0.0.1:8000, got 'localhost'\n", run.Error);
    }

    [Fact]
    public async Task Endpoints_PrintsTheTable()
    {
        _handler.Answer(HttpStatusCode.OK, AdminSamples.Endpoints);

        var run = await Run("endpoints");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(("GET", "http://127.0.0.1:8000/admin/endpoints"), (_handler.Single.Method, _handler.Single.Url));
        Assert.StartsWith("ENDPOINT   VARIANTS  ", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RolloutHistory_GetsTheHistoryRoute()
    {
        _handler.Answer(HttpStatusCode.OK, AdminSamples.History);

        var run = await Run("rollout", "history", "fraud");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(("GET", "http://127.0.0.1:8000/admin/endpoints/fraud/history"), (_handler.Single.Method, _handler.Single.Url));
        Assert.StartsWith("history of fraud (3 events)\n", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fault_Abort_PutsEveryFieldWithTheDefaultStatus()
    {
        _handler.Answer(HttpStatusCode.OK, """{"endpoint":"fraud","variant":"fraud:2","fault":{"abort_fraction":0.1,"abort_status":503,"delay_ms":0,"delay_fraction":0}}""");

        var run = await Run("fault", "fraud", "--version", "2", "--abort", "0.1");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(("PUT", "http://127.0.0.1:8000/admin/endpoints/fraud/faults/2"), (_handler.Single.Method, _handler.Single.Url));
        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse("""{"abort_fraction":0.1,"abort_status":503,"delay_ms":0,"delay_fraction":0}"""), JsonNode.Parse(_handler.Single.Body!)),
            _handler.Single.Body);
        Assert.Equal("fault on fraud:2 (endpoint fraud): abort 10% with 503\n", run.Output);
    }

    [Fact]
    public async Task Fault_DelayWithoutFraction_DelaysEveryRequest()
    {
        var run = await Run("fault", "fraud", "--version", "2", "--delay-ms", "250", "--abort", "0.5", "--status", "500");

        Assert.Equal(0, run.ExitCode);
        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse("""{"abort_fraction":0.5,"abort_status":500,"delay_ms":250,"delay_fraction":1}"""), JsonNode.Parse(_handler.Single.Body!)),
            _handler.Single.Body);
    }

    [Fact]
    public async Task Fault_ForOneReplica_PutsItsIdInTheBody_AndClearsItByQuery()
    {
        _handler.Answer(HttpStatusCode.OK, """{"endpoint":"fraud","variant":"fraud:2","fault":{"abort_fraction":1,"abort_status":507,"delay_ms":0,"delay_fraction":0,"replica":"host-b-0a1b2c3d4e5f"}}""");
        var set = await Run("fault", "fraud", "--version", "2", "--abort", "1", "--status", "507", "--replica", "host-b-0a1b2c3d4e5f");
        _handler.Answer(HttpStatusCode.OK, """{"endpoint":"fraud","variant":"fraud:2","cleared":true,"replica":"host-b-0a1b2c3d4e5f"}""");
        var clear = await Run("fault", "fraud", "--version", "2", "--clear", "--replica", "host-b-0a1b2c3d4e5f");

        Assert.Equal((0, 0), (set.ExitCode, clear.ExitCode));
        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse("""{"abort_fraction":1,"abort_status":507,"delay_ms":0,"delay_fraction":0,"replica":"host-b-0a1b2c3d4e5f"}"""), JsonNode.Parse(_handler.Requests[0].Body!)),
            _handler.Requests[0].Body);
        Assert.Equal(("DELETE", "http://127.0.0.1:8000/admin/endpoints/fraud/faults/2?replica=host-b-0a1b2c3d4e5f"), (_handler.Requests[1].Method, _handler.Requests[1].Url));
        Assert.Equal("fault on fraud:2 on replica host-b-0a1b2c3d4e5f only (endpoint fraud): abort 100% with 507\n", set.Output);
        Assert.Equal("cleared the fault on fraud:2 on replica host-b-0a1b2c3d4e5f only (endpoint fraud)\n", clear.Output);
    }

    [Fact]
    public async Task Fault_Clear_Deletes()
    {
        _handler.Answer(HttpStatusCode.OK, """{"endpoint":"fraud","variant":"fraud:2","cleared":true}""");

        var run = await Run("fault", "fraud", "--version", "2", "--clear");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(("DELETE", "http://127.0.0.1:8000/admin/endpoints/fraud/faults/2", null), (_handler.Single.Method, _handler.Single.Url, _handler.Single.Body));
        Assert.Equal("cleared the fault on fraud:2 (endpoint fraud)\n", run.Output);
    }

    [Fact]
    public async Task Fault_ClearWithAFault_OrBadValues_Exits2WithEveryProblem()
    {
        var clear = await Run("fault", "fraud", "--version", "2", "--clear", "--abort", "0.1");
        var bad = await Run("fault", "fraud", "--version", "v2", "--abort", "10%", "--delay-ms", "-5");

        Assert.Equal((2, 2), (clear.ExitCode, bad.ExitCode));
        Assert.Empty(_handler.Requests);
        Assert.Equal("usher fault: --clear removes the fault; drop --abort or drop --clear\n", clear.Error);
        Assert.Equal(
            """
            usher fault: 3 problems, nothing was sent:
              - --version: expected a positive integer, got 'v2'
              - --abort: expected a fraction from 0 to 1 (0.1 is 10%), got '10%'
              - --delay-ms: expected a positive number of milliseconds, got '-5'

            """,
            bad.Error);
    }

    [Fact]
    public async Task Fault_NothingToInject_Exits2SayingWhatToPass()
    {
        var run = await Run("fault", "fraud", "--version", "2");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("usher fault: nothing to inject: pass --abort FRACTION and/or --delay-ms MS [--delay-fraction F], or --clear to remove the fault\n", run.Error);
    }

    [Fact]
    public async Task UnparsableCommandLine_Exits2()
    {
        var run = await Run("endpoints", "--output", "yaml");

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(_handler.Requests);
        Assert.Contains("'yaml'", run.Error, StringComparison.Ordinal);
    }

    private Task<CliRun> Run(params string[] args) => CliRun.InvokeAsync(_handler, args);

    private Task<CliRun> Run(IReadOnlyDictionary<string, string> variables, params string[] args) => CliRun.InvokeAsync(_handler, args, variables);
}
