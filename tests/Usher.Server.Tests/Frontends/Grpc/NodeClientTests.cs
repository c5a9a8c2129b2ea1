using System.Text.Json;
using Usher.Backends.Onnx.Samples;
using Usher.Testing;
using Usher.Testing.ThirdParty;

namespace Usher.Server.Tests.Frontends.Grpc;

/// <summary>
/// A client nobody here wrote: Node's <c>@grpc/grpc-js</c>, loading the server's own .proto with
/// <c>@grpc/proto-loader</c>, calls every RPC over h2c against Usher on real Kestrel.
/// </summary>
public sealed class NodeClientTests : IAsyncLifetime
{
    private static readonly string ScriptFolder = Path.Combine(AppContext.BaseDirectory, "Frontends", "Grpc", "node");
    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;

    public async Task InitializeAsync()
    {
        SampleRepository.CopySample(_repo.Path, SampleModels.FraudName);
        _app = await UsherApp.StartAsync(_repo.Path, kestrel: true);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    [SkippableFact]
    public async Task NodeGrpcJs_CallsEveryRpc()
    {
        var prefix = await NodePackages.InstallAsync(Path.Combine(ScriptFolder, "package.json"), "grpc-client");
        var proto = RepoRoot.Combine("src", "Usher.Server", "Protos", "grpc_service.proto");
        var (exit, output, error) = await NodePackages.RunNodeAsync(
            prefix, [Path.Combine(ScriptFolder, "client.js"), proto, Path.Combine(ScriptFolder, "health.proto"), $"127.0.0.1:{_app.GrpcPort}"], TimeSpan.FromMinutes(2));
        Assert.True(exit == 0, $"node exited {exit}: {error}");

        using var json = JsonDocument.Parse(output);
        var r = json.RootElement;
        const int ok = 0, invalidArgument = 3, notFound = 5;
        Assert.Equal("SERVING", r.GetProperty("health").GetProperty("response").GetProperty("status").GetString());
        Assert.True(r.GetProperty("serverLive").GetProperty("response").GetProperty("live").GetBoolean());
        Assert.True(r.GetProperty("serverReady").GetProperty("response").GetProperty("ready").GetBoolean());
        Assert.True(r.GetProperty("modelReady").GetProperty("response").GetProperty("ready").GetBoolean());
        Assert.Equal("usher", r.GetProperty("serverMetadata").GetProperty("response").GetProperty("name").GetString());
        Assert.Contains("binary_tensor_data", r.GetProperty("serverMetadata").GetProperty("response").GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
        var metadata = r.GetProperty("modelMetadata").GetProperty("response");
        Assert.Equal("features", metadata.GetProperty("inputs")[0].GetProperty("name").GetString());
        Assert.Equal("1", metadata.GetProperty("properties").GetProperty("version").GetString());
        Assert.Equal(notFound, r.GetProperty("modelMetadataUnknown").GetProperty("code").GetInt32());

        var typed = r.GetProperty("inferTyped");
        Assert.Equal(ok, typed.GetProperty("code").GetInt32());
        Assert.Equal("node-typed", typed.GetProperty("id").GetString());
        Assert.Equal("fraud:2", typed.GetProperty("variant").GetString());
        var typedValues = typed.GetProperty("values").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var rawValues = r.GetProperty("inferRaw").GetProperty("values").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(4, typedValues.Length);
        Assert.Equal(1f, typedValues[0] + typedValues[1], 4);
        Assert.Equal(typedValues, rawValues);
        Assert.Equal("1", r.GetProperty("inferPinnedVersion").GetProperty("response").GetProperty("model_version").GetString());
        Assert.Equal(invalidArgument, r.GetProperty("inferBadShape").GetProperty("code").GetInt32());
        Assert.Contains("features", r.GetProperty("inferBadShape").GetProperty("details").GetString(), StringComparison.Ordinal);
        Assert.Equal(notFound, r.GetProperty("inferUnknown").GetProperty("code").GetInt32());

        var stream = r.GetProperty("stream");
        Assert.Equal(ok, stream.GetProperty("code").GetInt32());
        var answers = stream.GetProperty("answers").EnumerateArray().ToArray();
        Assert.Equal(3, answers.Length);
        Assert.Equal(string.Empty, answers[0].GetProperty("error_message").GetString());
        Assert.Contains("nope", answers[1].GetProperty("error_message").GetString(), StringComparison.Ordinal);
        Assert.Equal("node-raw", answers[2].GetProperty("id").GetString());

        Assert.Contains(r.GetProperty("index").GetProperty("response").GetProperty("models").EnumerateArray(), m => m.GetProperty("name").GetString() == "fraud");
        Assert.Equal(ok, r.GetProperty("unload").GetProperty("code").GetInt32());
        Assert.False(r.GetProperty("readyAfterUnload").GetProperty("response").GetProperty("ready").GetBoolean());
        Assert.Equal(ok, r.GetProperty("load").GetProperty("code").GetInt32());
        Assert.True(r.GetProperty("readyAfterLoad").GetProperty("response").GetProperty("ready").GetBoolean());
        Assert.Equal(notFound, r.GetProperty("loadUnknown").GetProperty("code").GetInt32());
    }
}
