using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Usher.Cli.Admin;
using Usher.Cli.Commands;
using Usher.Core.Repository;
using Usher.Server.Admin;
using Usher.Server.Hosting;
using Usher.Testing;

namespace Usher.Cli.Tests.Pull;

/// <summary><c>usher pull</c> against the real server, in memory, with faults injected into the download.</summary>
public sealed class PullCommandTests : IAsyncLifetime
{
    private const string Token = "an-edge-token-of-some-length";
    private readonly TempDirectory _repository = new();
    private readonly TempDirectory _data = new();
    private readonly TempDirectory _edge = new();
    private readonly ArtifactFaults _faults = new();
    private WebApplication _app = null!;
    private byte[] _served = [];

    public async Task InitializeAsync()
    {
        SampleRepository.CopySample(_repository.Path, "fraud");
        _served = File.ReadAllBytes(_repository.Combine("fraud", "2", "model.onnx"));
        _app = await StartAsync(token: null);
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _edge.Dispose();
        _data.Dispose();
        _repository.Dispose();
    }

    [Fact]
    public async Task Pull_PlacesTheServedVersionVerified_AndASecondPullIsUpToDate()
    {
        var first = await PullAsync("fraud");
        var second = await PullAsync("fraud");

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("fraud serves fraud:2", first.Output, StringComparison.Ordinal);
        Assert.Equal(_served, File.ReadAllBytes(Path.Combine(_edge.Path, "fraud", "2", "model.onnx")));
        Assert.Equal(["2"], Directory.EnumerateFileSystemEntries(Path.Combine(_edge.Path, "fraud")).Select(Path.GetFileName));
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("up to date", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_Interrupted_LeavesNoVersionBehind_AndTheNextPullResumesWhereItStopped()
    {
        _faults.CutAfterBytes = 1000;

        var interrupted = await PullAsync("fraud");

        Assert.Equal(1, interrupted.ExitCode);
        Assert.Contains("interrupted after 1000 bytes", interrupted.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_edge.Path, "fraud", "2")), "a half-downloaded version must not appear to an engine watching the folder");

        var resumed = await PullAsync("fraud");

        Assert.Equal(0, resumed.ExitCode);
        Assert.Equal(["", "bytes=1000-"], _faults.Ranges);
        Assert.Contains($"{_served.Length - 1000} bytes, resumed at byte 1000", resumed.Output, StringComparison.Ordinal);
        Assert.Equal(_served, File.ReadAllBytes(Path.Combine(_edge.Path, "fraud", "2", "model.onnx")));
    }

    [Fact]
    public async Task Pull_ChecksumMismatch_DiscardsTheDownloadAndKeepsWhatWasThere()
    {
        _faults.CorruptByteAt = 500;

        var corrupted = await PullAsync("fraud");

        Assert.Equal(1, corrupted.ExitCode);
        Assert.Contains("checksum mismatch", corrupted.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_edge.Path, "fraud")));

        var retried = await PullAsync("fraud");

        Assert.Equal(0, retried.ExitCode);
        Assert.Equal(["", ""], _faults.Ranges);
        Assert.Equal(_served, File.ReadAllBytes(Path.Combine(_edge.Path, "fraud", "2", "model.onnx")));
    }

    [Fact]
    public async Task Pull_FromAServerWithAnAdminToken_SendsTheTokenForTheArtifactToo_AndWithoutItIsRefused()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = await StartAsync(Token);

        var without = await PullAsync("fraud");
        var wrong = await PullAsync("fraud", "--token", Token + "x");
        var with = await PullAsync("fraud", "--token", Token);

        Assert.Equal(1, without.ExitCode);
        Assert.Contains("401", without.Error, StringComparison.Ordinal);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Equal(0, with.ExitCode);
        Assert.Equal(_served, File.ReadAllBytes(Path.Combine(_edge.Path, "fraud", "2", "model.onnx")));
    }

    [Fact]
    public async Task Pull_UnknownEndpoint_FailsNamingTheEndpointsThereAre()
    {
        var run = await PullAsync("fruad");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no endpoint 'fruad' (endpoints: fraud)", run.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_edge.Path));
    }

    private async Task<WebApplication> StartAsync(string? token)
    {
        var settings = UsherSettings.Create(
            new ServerOptions { Host = "127.0.0.1", HttpPort = 0, GrpcPort = -1 },
            new RepositoryOptions { Path = _repository.Path },
            admin: new AdminOptions { DataDir = _data.Path, Token = token });
        var app = UsherServer.Build(settings, b => b.WebHost.UseTestServer());
        await app.StartAsync();
        await app.Services.GetRequiredService<ModelManager>().InitialLoad.WaitAsync(TimeSpan.FromSeconds(60));
        await app.Services.GetRequiredService<ControlPlaneHost>().Started.WaitAsync(TimeSpan.FromSeconds(60));
        await app.Services.GetRequiredService<Usher.Server.Frontends.FrontendWarmup>().Finished.WaitAsync(TimeSpan.FromSeconds(60));
        return app;
    }

    private async Task<(int ExitCode, string Output, string Error)> PullAsync(string endpoint, params string[] flags)
    {
        var server = _app.GetTestServer();
        var environment = new ClientEnvironment(() => _faults.Over(server.CreateHandler()), _ => null, new FakeTimeProvider());
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await UsherRootCommand.InvokeAsync(
            ["pull", endpoint, "--server", server.BaseAddress.ToString(), "--to", _edge.Path, .. flags],
            new InvocationConfiguration { Output = output, Error = error },
            environment);
        return (exit, output.ToString(), error.ToString());
    }
}
