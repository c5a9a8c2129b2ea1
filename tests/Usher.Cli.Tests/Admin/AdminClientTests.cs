using System.Net;
using System.Text.Json.Nodes;
using Usher.Cli.Admin;
using Usher.ControlPlane.Api;

namespace Usher.Cli.Tests.Admin;

/// <summary>The exact requests the admin client sends, and how it reads answers and failures.</summary>
public sealed class AdminClientTests : IDisposable
{
    private readonly FakeAdminHandler _handler = new();
    private readonly HttpClient _http;

    public AdminClientTests()
    {
        _http = new HttpClient(_handler, disposeHandler: false);
    }

    public void Dispose()
    {
        _http.Dispose();
        _handler.Dispose();
    }

    [Fact]
    public async Task GetRollout_SendsGetToTheRolloutRouteWithTheBearerToken()
    {
        _handler.Answer(HttpStatusCode.OK, AdminSamples.CanaryStatus);

        var result = await Client(token: "s3cret").GetRolloutAsync("fraud", CancellationToken.None);

        Assert.Null(result.Error);
        Assert.Equal(3, result.Body.GetProperty("id").GetInt32());
        var request = _handler.Single;
        Assert.Equal(("GET", "http://127.0.0.1:8000/admin/endpoints/fraud/rollout", "Bearer s3cret", null),
            (request.Method, request.Url, request.Authorization, request.Body));
    }

    [Fact]
    public async Task Request_WithoutToken_SendsNoAuthorizationHeader()
    {
        await Client(token: null).GetEndpointsAsync(CancellationToken.None);

        Assert.Equal(("GET", "http://127.0.0.1:8000/admin/endpoints", null), (_handler.Single.Method, _handler.Single.Url, _handler.Single.Authorization));
    }

    [Fact]
    public async Task Rollback_WithReason_PostsTheReasonAsJson()
    {
        await Client().ActAsync("fraud", RolloutAction.Rollback, "p99 doubled", CancellationToken.None);

        var request = _handler.Single;
        Assert.Equal(("POST", "http://127.0.0.1:8000/admin/endpoints/fraud/rollout/rollback", "application/json"), (request.Method, request.Url, request.ContentType));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"reason":"p99 doubled"}"""), JsonNode.Parse(request.Body!)), request.Body);
    }

    [Theory]
    [InlineData("Promote", "promote")]
    [InlineData("Pause", "pause")]
    [InlineData("Resume", "resume")]
    public async Task Action_WithoutReason_PostsNoBody(string action, string segment)
    {
        await Client().ActAsync("fraud", Enum.Parse<RolloutAction>(action), null, CancellationToken.None);

        Assert.Equal(("POST", $"http://127.0.0.1:8000/admin/endpoints/fraud/rollout/{segment}", null), (_handler.Single.Method, _handler.Single.Url, _handler.Single.Body));
    }

    [Fact]
    public async Task Faults_PutTheFaultAndDeleteIt_OnTheVersionRoute()
    {
        var fault = new FaultDto(null, 0.1, 503, 0, 0);

        await Client().SetFaultAsync("fraud", 2, fault, CancellationToken.None);
        await Client().ClearFaultAsync("fraud", 2, null, CancellationToken.None);

        Assert.Equal(("PUT", "http://127.0.0.1:8000/admin/endpoints/fraud/faults/2"), (_handler.Requests[0].Method, _handler.Requests[0].Url));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"abort_fraction":0.1,"abort_status":503,"delay_ms":0,"delay_fraction":0}"""), JsonNode.Parse(_handler.Requests[0].Body!)));
        Assert.Equal(("DELETE", "http://127.0.0.1:8000/admin/endpoints/fraud/faults/2", null), (_handler.Requests[1].Method, _handler.Requests[1].Url, _handler.Requests[1].Body));
    }

    [Fact]
    public async Task Faults_ForOneReplica_PutTheReplicaInTheBody_AndClearItInTheQuery_Escaped()
    {
        await Client().SetFaultAsync("fraud", 2, new FaultDto(null, 1, 507, 0, 0, "host-a/1"), CancellationToken.None);
        await Client().ClearFaultAsync("fraud", 2, "host-a/1", CancellationToken.None);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"abort_fraction":1,"abort_status":507,"delay_ms":0,"delay_fraction":0,"replica":"host-a/1"}"""), JsonNode.Parse(_handler.Requests[0].Body!)));
        Assert.Equal(("DELETE", "http://127.0.0.1:8000/admin/endpoints/fraud/faults/2?replica=host-a%2F1"), (_handler.Requests[1].Method, _handler.Requests[1].Url));
    }

    [Fact]
    public async Task Replicas_GetsTheRegistryRoute()
    {
        await Client().GetReplicasAsync(CancellationToken.None);

        Assert.Equal(("GET", "http://127.0.0.1:8000/admin/replicas", null), (_handler.Single.Method, _handler.Single.Url, _handler.Single.Body));
    }

    [Fact]
    public async Task History_EscapesTheEndpointAndKeepsTheServersPathPrefix()
    {
        var client = new AdminClient(_http, new ClientOptions(new Uri("https://models.example/usher"), null, OutputFormat.Table));

        await client.GetHistoryAsync("fraud detector", CancellationToken.None);

        Assert.Equal("https://models.example/usher/admin/endpoints/fraud%20detector/history", _handler.Single.Url);
    }

    [Fact]
    public async Task Unauthorized_WithoutToken_SaysATokenIsNeededAndWhereToGiveIt()
    {
        _handler.Answer(HttpStatusCode.Unauthorized, """{"error":"admin token required"}""");

        var error = (await Client(token: null).GetEndpointsAsync(CancellationToken.None)).Error;

        Assert.NotNull(error);
        Assert.Equal((AdminErrorKind.Unauthorized, 401), (error.Kind, error.Status));
        Assert.Contains("admin token required", error.Message, StringComparison.Ordinal);
        Assert.Contains("needs an admin token; pass --token or set USHER_TOKEN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unauthorized_WithToken_SaysTheTokenWasRefused()
    {
        _handler.Answer(HttpStatusCode.Unauthorized, """{"error":"invalid admin token"}""");

        var error = (await Client(token: "wrong").GetEndpointsAsync(CancellationToken.None)).Error;

        Assert.Contains("refused the admin token; check --token or USHER_TOKEN", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadRequest_KeepsTheServersMessageAndEveryProblem()
    {
        _handler.Answer(HttpStatusCode.BadRequest, """{"error":"invalid deployment spec","problems":["version: 7 is not loaded","canary.steps: must end at 100"]}""");

        var error = (await Client().DeployAsync(new JsonObject { ["endpoint"] = "fraud" }, CancellationToken.None)).Error;

        Assert.Equal((AdminErrorKind.Refused, 400, "HTTP 400 Bad Request: invalid deployment spec"), (error!.Kind, error.Status, error.Message));
        Assert.Equal(["version: 7 is not loaded", "canary.steps: must end at 100"], error.Problems);
    }

    [Fact]
    public async Task Conflict_WithoutJsonBody_UsesTheText()
    {
        _handler.Answer(HttpStatusCode.Conflict, "a rollout is already active on fraud");

        var error = (await Client().ActAsync("fraud", RolloutAction.Resume, null, CancellationToken.None)).Error;

        Assert.Equal("HTTP 409 Conflict: a rollout is already active on fraud", error!.Message);
    }

    [Fact]
    public async Task ConnectionRefused_IsUnreachableNamingTheServerAndTheFix()
    {
        _handler.RefuseConnections = true;

        var error = (await Client().GetEndpointsAsync(CancellationToken.None)).Error;

        Assert.Equal((AdminErrorKind.Unreachable, null), (error!.Kind, error.Status));
        Assert.Equal(
            "cannot reach the Usher server at http://127.0.0.1:8000: Connection refused (127.0.0.1:8000) (is `usher serve` running? set --server or USHER_SERVER)",
            error.Message);
    }

    [Fact]
    public async Task Success_WithoutJsonObject_IsABadResponse()
    {
        _handler.Answer(HttpStatusCode.OK, "<html>proxy login</html>");

        var error = (await Client().GetEndpointsAsync(CancellationToken.None)).Error;

        Assert.Equal(AdminErrorKind.BadResponse, error!.Kind);
        Assert.Contains("without a JSON object", error.Message, StringComparison.Ordinal);
    }

    private AdminClient Client(string? token = "t")
        => new(_http, new ClientOptions(new Uri("http://127.0.0.1:8000"), token, OutputFormat.Table));
}
