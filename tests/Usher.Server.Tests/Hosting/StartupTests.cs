using System.Net;
using System.Net.Http.Json;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Data.Sqlite;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Usher.Backends.Onnx.Samples;
using Usher.ControlPlane.Persistence;
using Usher.Core.Backends;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Server.Admin;
using Usher.Server.Hosting;
using Usher.Server.Protos;
using Usher.Server.Tests.Frontends.Http;
using Usher.Testing;

namespace Usher.Server.Tests.Hosting;

/// <summary>
/// Start-up through the real pipeline: not ready (503, never 404) until the repository and the
/// control plane are, and a state file that lives with its repository, is locked, and is checked.
/// </summary>
public sealed class StartupTests : IDisposable
{
    private readonly TempDirectory _repo = new();
    private readonly TempDirectory _data = new();

    public StartupTests() => SampleRepository.CopySample(_repo.Path, SampleModels.FraudName);

    public void Dispose()
    {
        _repo.Dispose();
        _data.Dispose();
    }

    private static object FraudRequest() => new
    {
        inputs = new[] { new { name = "features", datatype = "FP32", shape = new[] { 1, SampleModels.FraudFeatures }, data = new float[SampleModels.FraudFeatures] } },
    };

    private static ModelInferRequest GrpcFraudRequest(string version = "")
    {
        var request = new ModelInferRequest { ModelName = "fraud", ModelVersion = version };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32", Shape = { 1, SampleModels.FraudFeatures } };
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[4 * SampleModels.FraudFeatures]));
        return request;
    }

    [Fact]
    public async Task Inference_BeforeTheRepositoryHasLoaded_Is503NotReady_OverRestAndGrpc_Then200()
    {
        var backend = new GatedBackend();
        await using var app = await UsherApp.StartAsync(_repo.Path, waitForLoad: false, configure: b => b.Services.AddSingleton<IModelBackend>(backend));

        using var routed = await app.Client.PostAsJsonAsync("/v2/models/fraud/infer", FraudRequest());
        using var pinned = await app.Client.PostAsJsonAsync("/v2/models/fraud/versions/1/infer", FraudRequest());
        using var ready = await app.Client.GetAsync(new Uri("/v2/health/ready", UriKind.Relative));
        var grpcRouted = await Assert.ThrowsAsync<RpcException>(async () => await app.Grpc.ModelInferAsync(GrpcFraudRequest()));
        var grpcPinned = await Assert.ThrowsAsync<RpcException>(async () => await app.Grpc.ModelInferAsync(GrpcFraudRequest("1")));
        var grpcReady = await app.Grpc.ServerReadyAsync(new ServerReadyRequest());

        Assert.Contains("model 'fraud'", await HttpAssert.ErrorAsync(routed, HttpStatusCode.ServiceUnavailable), StringComparison.Ordinal);
        Assert.Contains("not ready", await HttpAssert.ErrorAsync(pinned, HttpStatusCode.ServiceUnavailable), StringComparison.Ordinal);
        Assert.Contains("loading", await HttpAssert.ErrorAsync(ready, HttpStatusCode.ServiceUnavailable), StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unavailable, grpcRouted.StatusCode);
        Assert.Equal(StatusCode.Unavailable, grpcPinned.StatusCode);
        Assert.False(grpcReady.Ready);

        backend.Open();
        await app.Models.InitialLoad.WaitAsync(TimeSpan.FromSeconds(60));
        await app.App.Services.GetRequiredService<ControlPlaneHost>().Started.WaitAsync(TimeSpan.FromSeconds(60));

        // Ready also waits for the warm-up through the frontends, which a loaded machine may not have finished yet.
        await app.App.Services.GetRequiredService<Usher.Server.Frontends.FrontendWarmup>().Finished.WaitAsync(TimeSpan.FromSeconds(60));

        using var after = await app.Client.PostAsJsonAsync("/v2/models/fraud/infer", FraudRequest());
        using var unknown = await app.Client.PostAsJsonAsync("/v2/models/nope/infer", FraudRequest());
        using var readyAfter = await app.Client.GetAsync(new Uri("/v2/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readyAfter.StatusCode);
        Assert.True((await app.Grpc.ServerReadyAsync(new ServerReadyRequest())).Ready);
        Assert.Equal("1", (await app.Grpc.ModelInferAsync(GrpcFraudRequest("1"))).ModelVersion);
    }

    [Fact]
    public async Task Ready_AfterTheModelsLoad_StaysFalseUntilTheControlPlaneHasStarted()
    {
        var backend = new GatedBackend();
        await using var app = await UsherApp.StartAsync(_repo.Path, waitForLoad: false, configure: b => b.Services.AddSingleton<IModelBackend>(backend), dataDir: _data.Path);

        // Another writer holds the state database, so the controller's first write (fraud's new
        // route table) waits: the models are loaded and the control plane has not started.
        await using (var holder = new SqliteConnection($"Data Source={Path.Combine(_data.Path, "usher.db")};Pooling=False"))
        {
            await holder.OpenAsync();
            using (var begin = holder.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                await begin.ExecuteNonQueryAsync();
            }

            backend.Open();
            await app.Models.InitialLoad.WaitAsync(TimeSpan.FromSeconds(60));

            using var ready = await app.Client.GetAsync(new Uri("/v2/health/ready", UriKind.Relative));
            using var admin = await app.Client.GetAsync(new Uri("/admin/endpoints", UriKind.Relative));
            Assert.Contains("control plane is starting", await HttpAssert.ErrorAsync(ready, HttpStatusCode.ServiceUnavailable), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, admin.StatusCode);
            Assert.False((await app.Grpc.ServerReadyAsync(new ServerReadyRequest())).Ready);

            using var rollback = holder.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }

        await app.App.Services.GetRequiredService<ControlPlaneHost>().Started.WaitAsync(TimeSpan.FromSeconds(60));
        using var readyAfter = await app.Client.GetAsync(new Uri("/v2/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, readyAfter.StatusCode);
        Assert.True((await app.Grpc.ServerReadyAsync(new ServerReadyRequest())).Ready);
    }

    [Fact]
    public async Task State_ByDefault_LivesInTheRepository_AndIsNotAModel()
    {
        await using var app = await UsherApp.StartAsync(_repo.Path, admin: o => o.DataDir = null);

        var expected = Path.Combine(_repo.Path, ".usher", "usher.db");
        Assert.Equal(expected, app.App.Services.GetRequiredService<ControlPlaneHost>().StatePath);
        Assert.True(File.Exists(expected));
        Assert.True(File.Exists(expected + ".lock"));
        Assert.Equal(["fraud"], app.Models.Models.Select(m => m.Name));
        Assert.DoesNotContain(".usher", app.Models.Index().Select(r => r.Name));
    }

    [Fact]
    public async Task AServiceTheCallerAdds_StartsBeforeTheRepositoryLoader_SoItsRefusalStopsStartUpBeforeAnyModelLoads()
    {
        var settings = UsherSettings.Create(
            new ServerOptions { Host = "127.0.0.1", HttpPort = 0, GrpcPort = 0 },
            new RepositoryOptions { Path = _repo.Path, PollSeconds = 1 },
            admin: new AdminOptions { DataDir = _data.Path });
        var app = UsherServer.Build(settings, b =>
        {
            b.WebHost.UseTestServer();
            b.Services.AddHostedService<RefusingService>();
        });
        await using (app)
        {
            // Hosted services start in this order; a native model load left running while the
            // process exits after the refusal crashed it, now and then (the streams' broker check).
            var order = app.Services.GetServices<IHostedService>().Select(s => s.GetType()).ToList();
            var refusing = order.IndexOf(typeof(RefusingService));
            Assert.True(refusing >= 0 && refusing < order.IndexOf(typeof(RepositoryLoaderService)), string.Join(", ", order.Select(t => t.Name)));
            Assert.True(refusing < order.IndexOf(typeof(RepositoryPollerService)));

            await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());
            Assert.Empty(app.Services.GetRequiredService<ModelManager>().Models);
        }
    }

    [Fact]
    public async Task SecondServer_OnTheSameStateFile_RefusesToStart_NamingTheFileAndTheProcess()
    {
        await using var first = await UsherApp.StartAsync(_repo.Path, dataDir: _data.Path);

        var refused = await Assert.ThrowsAsync<StateStoreException>(() => UsherApp.StartAsync(_repo.Path, dataDir: _data.Path));

        Assert.Contains(Path.Combine(_data.Path, "usher.db"), refused.Message, StringComparison.Ordinal);
        Assert.Contains($"pid {Environment.ProcessId}", refused.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await first.Client.GetAsync(new Uri("/admin/endpoints", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Server_OnAnotherRepositorysState_RefusesToStart_NamingDataDir()
    {
        await (await UsherApp.StartAsync(_repo.Path, dataDir: _data.Path)).DisposeAsync();
        using var other = new TempDirectory();
        SampleRepository.CopySample(other.Path, SampleModels.FraudName);

        var refused = await Assert.ThrowsAsync<StateStoreException>(() => UsherApp.StartAsync(other.Path, dataDir: _data.Path));

        Assert.Contains($"belongs to the model repository {_repo.Path}, not {other.Path}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--data-dir", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoredState_OnARepositoryWithoutAnyModel_IsKeptAsItIs()
    {
        using var empty = new TempDirectory();
        await (await UsherApp.StartAsync(empty.Path, dataDir: _data.Path)).DisposeAsync();
        await using (var store = await SqliteRolloutStore.OpenAsync(Path.Combine(_data.Path, "usher.db"), CancellationToken.None))
        {
            await store.SaveRouteTableAsync(RouteTable.Single("fraud", "fraud", 1), DateTimeOffset.UtcNow, CancellationToken.None);
        }

        await (await UsherApp.StartAsync(empty.Path, dataDir: _data.Path)).DisposeAsync();

        await using var reopened = await SqliteRolloutStore.OpenAsync(Path.Combine(_data.Path, "usher.db"), CancellationToken.None);
        Assert.Equal(["fraud"], (await reopened.RouteTablesAsync(CancellationToken.None)).Select(t => t.Endpoint));
    }

    [Fact]
    public async Task StoredStateOfAModelThatIsGone_IsNotRestored_AndIsListedByTheAdminApi()
    {
        await (await UsherApp.StartAsync(_repo.Path, dataDir: _data.Path)).DisposeAsync();
        await using (var store = await SqliteRolloutStore.OpenAsync(Path.Combine(_data.Path, "usher.db"), CancellationToken.None))
        {
            await store.SaveRouteTableAsync(RouteTable.Single("ghost", "ghost", 3), DateTimeOffset.UtcNow, CancellationToken.None);
        }

        await using var app = await UsherApp.StartAsync(_repo.Path, dataDir: _data.Path);

        var listing = await (await app.Client.GetAsync(new Uri("/admin/endpoints", UriKind.Relative))).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal(["fraud"], listing.GetProperty("endpoints").EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        var stale = Assert.Single(listing.GetProperty("stale").EnumerateArray());
        Assert.Equal("ghost", stale.GetProperty("endpoint").GetString());
        Assert.Contains("model 'ghost' is not in the repository", stale.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null(app.App.Services.GetRequiredService<EndpointRoutes>().Find("ghost"));
        Assert.Empty(app.Models.PinsOf("ghost").Required);
    }
}
