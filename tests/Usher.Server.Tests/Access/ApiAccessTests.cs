using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Usher.Backends.Onnx.Samples;
using Usher.Server.Access;
using Usher.Server.Hosting;
using Usher.Server.Protos;
using Usher.Testing;

namespace Usher.Server.Tests.Access;

/// <summary>API keys and rate limits through the real pipeline, over REST and gRPC, on fake time.</summary>
public sealed class ApiAccessTests : IDisposable
{
    private const string Alice = "alice-key-0123456789";
    private const string Bob = "bob-key-abcdefghijkl";
    private readonly TempDirectory _repo = new();
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    public ApiAccessTests() => SampleRepository.CopySample(_repo.Path, "fraud");

    public void Dispose()
    {
        _repo.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task WithKeys_InferenceAndMetadataNeedAKnownKey_HealthStaysOpen()
    {
        var keys = WriteKeys($"alice {Alice}\n");
        await using var app = await StartAsync(o => o.ApiKeysFile = keys);

        using var none = await Get(app, "/v2/models/fraud");
        using var wrong = await Get(app, "/v2/models/fraud", ("Authorization", "Bearer " + Bob));
        using var bearer = await Get(app, "/v2/models/fraud", ("Authorization", "bearer " + Alice));
        using var header = await Get(app, "/v2/models/fraud", ("x-api-key", Alice));
        using var infer = await InferAsync(app, ("x-api-key", Alice));
        using var inferNone = await InferAsync(app);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        var error = JsonDocument.Parse(await none.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
        Assert.Equal("this server needs an API key: send 'Authorization: Bearer KEY' or 'x-api-key: KEY' with a key of server.api_keys_file; the request had no key", error);
        Assert.Contains("a key the server does not know", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(Bob, await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, header.StatusCode);
        Assert.Equal(HttpStatusCode.OK, infer.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, inferNone.StatusCode);

        foreach (var open in new[] { "/v2/health/live", "/v2/health/ready", "/v2/models/fraud/ready", "/metrics" })
        {
            using var probe = await Get(app, open);
            Assert.True(probe.StatusCode == HttpStatusCode.OK, $"{open}: {(int)probe.StatusCode}");
        }

        foreach (var closed in new[] { "/v2", "/v2/models", "/V2/MODELS/fraud/versions/1" })
        {
            using var refused = await Get(app, closed);
            Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, $"{closed}: {(int)refused.StatusCode}");
        }
    }

    [Fact]
    public async Task WithKeys_Grpc_IsUnauthenticatedWithoutAKey_AndServesWithOne_HealthOpen()
    {
        var keys = WriteKeys($"alice {Alice}\n");
        await using var app = await StartAsync(o => o.ApiKeysFile = keys);

        var none = await Assert.ThrowsAsync<RpcException>(async () => await app.Grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = "fraud" }));
        var wrong = await Assert.ThrowsAsync<RpcException>(async () => await app.Grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = "fraud" }, new Metadata { { "authorization", "Bearer " + Bob } }));
        var metadata = await app.Grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = "fraud" }, new Metadata { { "x-api-key", Alice } });
        var live = await app.Grpc.ServerLiveAsync(new ServerLiveRequest());
        var ready = await app.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "fraud" });

        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        Assert.Contains("needs an API key", none.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        Assert.Equal("fraud", metadata.Name);
        Assert.True(live.Live);
        Assert.True(ready.Ready);
    }

    [Fact]
    public async Task AKeysFileThatChanges_IsInForceAfterThePoll_AndABadChangeKeepsTheKeys()
    {
        var keys = WriteKeys($"alice {Alice}\n");
        await using var app = await StartAsync(o => o.ApiKeysFile = keys);

        File.WriteAllText(keys, $"bob {Bob}\n");
        _time.Advance(CredentialFileWatcher.PollInterval);
        using var alice = await Get(app, "/v2/models/fraud", ("x-api-key", Alice));
        using var bob = await Get(app, "/v2/models/fraud", ("x-api-key", Bob));

        File.WriteAllText(keys, $"bob {Bob} and more\n");
        _time.Advance(CredentialFileWatcher.PollInterval);
        using var bobAfterBadChange = await Get(app, "/v2/models/fraud", ("x-api-key", Bob));

        Assert.Equal(HttpStatusCode.Unauthorized, alice.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bob.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bobAfterBadChange.StatusCode);
    }

    [Fact]
    public async Task OverItsLimit_AKeyGets429WithRetryAfter_OverRestAndGrpc_UntilTheClockRefills()
    {
        var keys = WriteKeys($"alice {Alice}\nbob {Bob}\n");
        await using var app = await StartAsync(o =>
        {
            o.ApiKeysFile = keys;
            o.RateLimits = new RateLimitOptions { PerKey = new RateLimitRule { Rate = 0.5, Burst = 2 } };
        });

        using var first = await Get(app, "/v2/models/fraud", ("x-api-key", Alice));
        using var second = await InferAsync(app, ("x-api-key", Alice));
        using var third = await Get(app, "/v2/models/fraud", ("x-api-key", Alice));
        var grpc = await Assert.ThrowsAsync<RpcException>(async () => await app.Grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = "fraud" }, new Metadata { { "x-api-key", Alice } }));
        using var bob = await Get(app, "/v2/models/fraud", ("x-api-key", Bob));
        using var health = await Get(app, "/v2/health/ready");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);

        // 0.5 a second: an empty bucket has a token again in 2 s.
        Assert.Equal(TimeSpan.FromSeconds(2), third.Headers.RetryAfter?.Delta);
        Assert.Contains("rate limit: the key 'alice' may send 0.5 requests a second (bursts of 2)", await third.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(StatusCode.ResourceExhausted, grpc.StatusCode);
        Assert.Equal("2", grpc.Trailers.GetValue("retry-after"));
        Assert.Equal(HttpStatusCode.OK, bob.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        _time.Advance(TimeSpan.FromSeconds(2));
        var again = await app.Grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = "fraud" }, new Metadata { { "x-api-key", Alice } });
        using var overAgain = await Get(app, "/v2/models/fraud", ("x-api-key", Alice));
        Assert.Equal("fraud", again.Name);
        Assert.Equal(HttpStatusCode.TooManyRequests, overAgain.StatusCode);
    }

    [Fact]
    public async Task AnEndpointsLimit_AppliesToThatEndpointAlone_AndToEachRequestOfAGrpcStream()
    {
        await using var app = await StartAsync(o => o.RateLimits = new RateLimitOptions { Endpoints = { ["fraud"] = new RateLimitRule { Rate = 1, Burst = 2 } } });

        using var call = app.Grpc.ModelStreamInfer();
        await call.RequestStream.WriteAsync(GrpcInfer());
        await call.RequestStream.WriteAsync(GrpcInfer());
        await call.RequestStream.WriteAsync(GrpcInfer());
        await call.RequestStream.CompleteAsync();
        var answered = 0;
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var response in call.ResponseStream.ReadAllAsync())
            {
                Assert.Equal(string.Empty, response.ErrorMessage);
                answered++;
            }
        });
        using var index = await app.Client.PostAsync(new Uri("/v2/repository/index", UriKind.Relative), null);
        using var rest = await InferAsync(app);

        Assert.Equal(2, answered);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("to 'fraud'", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, rest.StatusCode);
    }

    [Fact]
    public async Task WithoutKeysOrLimits_NothingIsChecked()
    {
        await using var app = await StartAsync(_ => { });

        using var metadata = await Get(app, "/v2/models/fraud");

        Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
        Assert.False(app.App.Services.GetRequiredService<ApiAccess>().Enabled);
    }

    private Task<UsherApp> StartAsync(Action<ServerOptions> server)
        => UsherApp.StartAsync(_repo.Path, server: server, configure: b => b.Services.AddSingleton<TimeProvider>(_time));

    private string WriteKeys(string text)
    {
        var path = _dir.Combine("api-keys");
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task<HttpResponseMessage> Get(UsherApp app, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await app.Client.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> InferAsync(UsherApp app, params (string Name, string Value)[] headers)
    {
        var body = JsonSerializer.Serialize(new { inputs = new[] { new { name = "features", shape = new[] { 1, SampleModels.FraudFeatures }, datatype = "FP32", data = new float[SampleModels.FraudFeatures] } } });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v2/models/fraud/infer", UriKind.Relative)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await app.Client.SendAsync(request);
    }

    private static ModelInferRequest GrpcInfer()
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.AddRange([1, SampleModels.FraudFeatures]);
        input.Contents.Fp32Contents.AddRange(new float[SampleModels.FraudFeatures]);
        var request = new ModelInferRequest { ModelName = "fraud" };
        request.Inputs.Add(input);
        return request;
    }
}
