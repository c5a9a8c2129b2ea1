using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Usher.Backends.Onnx.Samples;
using Usher.Testing;

namespace Usher.Cli.Tests;

/// <summary><c>usher serve</c> run as a real process: its flags, its start-up errors and exit codes, its lifecycle.</summary>
public sealed partial class ServeProcessTests : IDisposable
{
    private static readonly TimeSpan ShortCommand = TimeSpan.FromSeconds(60);
    internal static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);

    internal static readonly Dictionary<string, string> Loopback = new(StringComparer.Ordinal)
    {
        // Listen on loopback only; the default 0.0.0.0 would expose a test server on every interface.
        ["USHER_SERVER__HOST"] = "127.0.0.1",

        // A free gRPC port, so that tests running side by side never fight over the default 8001.
        ["USHER_SERVER__GRPC_PORT"] = "0",
    };

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Help_ExitsZeroAndNamesTheCommands()
    {
        await using var usher = await UsherProcess.RunAsync(_temp.Path, ["--help"], ShortCommand);

        Assert.Equal(0, await usher.WaitForExitAsync(ShortCommand));
        Assert.Contains("serve", usher.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("samples", usher.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServeHelp_ExitsZeroAndNamesEveryFlag()
    {
        await using var usher = await UsherProcess.RunAsync(_temp.Path, ["serve", "--help"], ShortCommand);

        Assert.Equal(0, await usher.WaitForExitAsync(ShortCommand));
        foreach (var flag in new[] { "--model-repository", "--http-port", "--grpc-port", "--config", "--repository-poll", "--inline-scheduling", "--state" })
        {
            Assert.Contains(flag, usher.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Serve_WithGrpcPortEqualToHttpPort_ExitsTwoNamingBothSettings()
    {
        var repository = Directory.CreateDirectory(_temp.Combine("repo")).FullName;
        await using var usher = await UsherProcess.RunAsync(
            _temp.Path, ["serve", "--model-repository", repository, "--http-port", "18555", "--grpc-port", "18555"], ShortCommand);

        Assert.Equal(2, await usher.WaitForExitAsync(ShortCommand));
        Assert.Contains("server.grpc_port: 18555 is also server.http_port", usher.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithNonNumericPort_ExitsNonZeroNamingTheFlag()
    {
        await using var usher = await UsherProcess.RunAsync(_temp.Path, ["serve", "--http-port", "abc"], ShortCommand);

        Assert.NotEqual(0, await usher.WaitForExitAsync(ShortCommand));
        Assert.Contains("--http-port", usher.StandardError, StringComparison.Ordinal);
        Assert.Contains("abc", usher.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithMissingRepository_ExitsTwoNamingTheFolderAndTheFlag()
    {
        var missing = Path.Combine(_temp.Path, "no-such-repository");

        await using var usher = await UsherProcess.RunAsync(_temp.Path, ["serve", "--model-repository", missing], ShortCommand);

        Assert.Equal(2, await usher.WaitForExitAsync(ShortCommand));
        Assert.Contains(missing, usher.StandardError, StringComparison.Ordinal);
        Assert.Contains("pass --model-repository", usher.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", usher.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithTheRepositoryOnlyInUsherYaml_TakesItOverTheBundledSamples()
    {
        // The bundled samples are found from the test's binaries, as from a source checkout's; they are
        // the default, so usher.yaml's folder (here one that does not exist) is the one served.
        var missing = Path.Combine(_temp.Path, "no-such-repository");
        var config = _temp.Combine("usher-settings.yaml");
        await File.WriteAllTextAsync(config, $"server:\n  http_port: 0\nrepository:\n  path: {missing}\n");

        await using var usher = await UsherProcess.RunAsync(_temp.Path, ["serve", "--config", config], Loopback, ShortCommand);

        Assert.Equal(2, await usher.WaitForExitAsync(ShortCommand));
        Assert.Contains($"repository.path: the folder '{missing}' does not exist", usher.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithUnknownConfigKey_ExitsTwoNamingTheKey()
    {
        var repository = Directory.CreateDirectory(_temp.Combine("repo")).FullName;
        var config = _temp.Combine("usher-settings.yaml");
        await File.WriteAllTextAsync(config, "server:\n  colour: blue\n");

        await using var usher = await UsherProcess.RunAsync(_temp.Path, ["serve", "--model-repository", repository, "--config", config], ShortCommand);

        Assert.Equal(2, await usher.WaitForExitAsync(ShortCommand));
        Assert.Contains("colour", usher.StandardError, StringComparison.Ordinal);
        Assert.Contains("line 2", usher.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithSeveralBadSettingsInEverySource_ExitsTwoListingEachOnItsOwnLine()
    {
        var config = _temp.Combine("usher-settings.yaml");
        await File.WriteAllTextAsync(config, "server:\n  http_port: lots\n  colour: blue\nadmin:\n  tick_ms: 5\n");
        var environment = new Dictionary<string, string>(Loopback) { ["USHER_SCHEDULING__MAX_QUEUE_SIZE"] = "0" };

        await using var usher = await UsherProcess.RunAsync(
            _temp.Path, ["serve", "--model-repository", _temp.Combine("absent"), "--config", config, "--repository-poll", "-1"], environment, ShortCommand);

        Assert.Equal(2, await usher.WaitForExitAsync(ShortCommand));
        var lines = usher.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] expected =
        [
            "usher serve: invalid settings:",
            "usher-settings.yaml line 2: server.http_port: expected an integer, got 'lots'",
            "usher-settings.yaml line 3: unknown setting 'server.colour'; 'server' has: host, http_port, grpc_port, grpc_max_message_bytes, max_request_body_bytes, max_tensor_bytes, shutdown_timeout_seconds, log_format, api_keys_file, tls, rate_limits, memory_budget, model_load_timeout_seconds, model_memory_factor, timing_stages, inline_scheduling, warmup_seconds",
            $"repository.path: the folder '{_temp.Combine("absent")}' does not exist; pass --model-repository DIR with a folder of <model>/<version>/model.onnx",
            "repository.poll_seconds: expected 0 (off) or a positive number of seconds, got -1",
            "scheduling.max_queue_size: expected at least 1, got 0",
            "admin.tick_ms: expected 10 to 60000, got 5",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), lines.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Serve_WithMisspelledSnakeCaseConfigKey_NamesTheKeyAsWritten()
    {
        var repository = Directory.CreateDirectory(_temp.Combine("repo")).FullName;
        var config = _temp.Combine("usher-settings.yaml");
        await File.WriteAllTextAsync(config, "server:\n  http_prot: 8000\n");

        await using var usher = await UsherProcess.RunAsync(_temp.Path, ["serve", "--model-repository", repository, "--config", config], ShortCommand);

        Assert.Equal(2, await usher.WaitForExitAsync(ShortCommand));
        Assert.Contains("http_prot", usher.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WhenPortIsTaken_ExitsNonZeroWithoutListening()
    {
        var repository = Directory.CreateDirectory(_temp.Combine("repo")).FullName;
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

        await using var usher = await UsherProcess.RunAsync(_temp.Path, ["serve", "--model-repository", repository, "--http-port", port], Loopback, ShortCommand);

        Assert.Equal(2, await usher.WaitForExitAsync(ShortCommand));
        Assert.Contains("pass --http-port and --grpc-port with free ports", usher.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", usher.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(port, usher.StandardError + usher.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_OnSigterm_FinishesAndExitsZero()
    {
        var repository = _temp.Combine("repo");
        SampleRepository.CopySample(repository, SampleModels.FraudName);
        await using var usher = UsherProcess.Start(_temp.Path, ["serve", "--model-repository", repository, "--http-port", "0"], Loopback);
        using var client = new HttpClient { BaseAddress = await ListeningAddressAsync(usher) };
        await WaitForStatusAsync(client, "/v2/health/ready", HttpStatusCode.OK, StartDeadline, usher);

        using var response = await client.PostAsJsonAsync("/v2/models/fraud/infer", FraudRequest(rows: 3));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());

        await usher.TerminateAsync();

        Assert.Equal(0, await usher.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Serve_WithInlineScheduling_SaysSo_AndAnswersLoneAndOverlappingRequestsAsTheModelComputes()
    {
        var repository = _temp.Combine("repo");
        SampleRepository.CopySample(repository, SampleModels.FraudName);
        await using var usher = UsherProcess.Start(_temp.Path, ["serve", "--model-repository", repository, "--http-port", "0", "--inline-scheduling"], Loopback);
        using var client = new HttpClient { BaseAddress = await ListeningAddressAsync(usher) };
        await WaitForStatusAsync(client, "/v2/health/ready", HttpStatusCode.OK, StartDeadline, usher);
        Assert.Contains("usher serve: inline scheduling:", usher.StandardOutput, StringComparison.Ordinal);

        // One at a time (each handed to the pool), then 32 at once (run where they were read).
        for (var rows = 1; rows <= 4; rows++)
        {
            await AssertFraudAnswerAsync(client, rows);
        }

        await Task.WhenAll(Enumerable.Range(1, 32).Select(rows => AssertFraudAnswerAsync(client, rows)));
    }

    [Fact]
    public async Task Serve_WithInlineScheduling_AndTheRuntimesVariableTurningItOff_ExitsTwoNamingBoth()
    {
        var repository = _temp.Combine("repo");
        SampleRepository.CopySample(repository, SampleModels.FraudName);
        var environment = new Dictionary<string, string>(Loopback, StringComparer.Ordinal) { ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "0" };
        await using var usher = await UsherProcess.RunAsync(
            _temp.Path, ["serve", "--model-repository", repository, "--http-port", "0", "--inline-scheduling"], environment, ShortCommand);

        Assert.Equal(2, await usher.WaitForExitAsync(ShortCommand));
        var error = Assert.Single(usher.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("server.inline_scheduling is true, but the environment sets DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", usher.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithRepositoryPoll_LoadsAVersionAddedWhileRunning_ButSendsItNoTrafficUntilDeployed()
    {
        var repository = _temp.Combine("repo");
        var fraud = Path.Combine(repository, SampleModels.FraudName);
        var samples = RepoRoot.Combine("samples", "models", SampleModels.FraudName);
        Directory.CreateDirectory(Path.Combine(fraud, "1"));
        File.Copy(Path.Combine(samples, "1", "model.onnx"), Path.Combine(fraud, "1", "model.onnx"));
        await File.WriteAllTextAsync(Path.Combine(fraud, "config.yaml"), "version_policy: { all: {} }\n");
        await using var usher = UsherProcess.Start(
            _temp.Path, ["serve", "--model-repository", repository, "--http-port", "0", "--repository-poll", "1"], Loopback);
        using var client = new HttpClient { BaseAddress = await ListeningAddressAsync(usher) };
        await WaitForStatusAsync(client, "/v2/models/fraud/versions/1/ready", HttpStatusCode.OK, StartDeadline, usher);
        using (var before = await client.GetAsync(new Uri("/v2/models/fraud/versions/2/ready", UriKind.Relative)))
        {
            Assert.NotEqual(HttpStatusCode.OK, before.StatusCode);
        }

        // Stage the version outside the repository and move it in whole, so a scan never sees half a file.
        var staged = _temp.Combine("staging", "2", "model.onnx");
        File.Copy(Path.Combine(samples, "2", "model.onnx"), staged);
        Directory.Move(Path.GetDirectoryName(staged)!, Path.Combine(fraud, "2"));

        await WaitForStatusAsync(client, "/v2/models/fraud/versions/2/ready", HttpStatusCode.OK, TimeSpan.FromSeconds(30), usher);
        using var response = await client.PostAsJsonAsync("/v2/models/fraud/infer", FraudRequest(rows: 1));
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("1", (string?)json["model_version"]);
        Assert.Equal("fraud:1", response.Headers.GetValues("x-usher-variant").Single());

        using var pinned = await client.PostAsJsonAsync("/v2/models/fraud/versions/2/infer", FraudRequest(rows: 1));
        Assert.Equal("2", (string?)JsonNode.Parse(await pinned.Content.ReadAsStringAsync())!["model_version"]);
    }

    [Fact]
    public async Task Serve_WithADataDirThatIsAFile_ExitsTwoWithOneLineNamingIt()
    {
        var repository = Directory.CreateDirectory(_temp.Combine("repo")).FullName;
        var file = _temp.Combine("state-file");
        await File.WriteAllTextAsync(file, "not a folder");

        await using var usher = await UsherProcess.RunAsync(_temp.Path, ["serve", "--model-repository", repository, "--data-dir", file], Loopback, ShortCommand);

        Assert.Equal(2, await usher.WaitForExitAsync(ShortCommand));
        var error = Assert.Single(usher.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"the state folder {file} is a file, not a folder", error, StringComparison.Ordinal);
        Assert.Contains("--data-dir", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", usher.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithADamagedStateFile_ExitsTwoNamingIt_AndLeavesItAsItIs()
    {
        var repository = Directory.CreateDirectory(_temp.Combine("repo")).FullName;
        var data = Directory.CreateDirectory(_temp.Combine("data")).FullName;
        var db = Path.Combine(data, "usher.db");
        var garbage = Enumerable.Range(0, 8192).Select(i => (byte)(i * 7 % 253)).ToArray();
        await File.WriteAllBytesAsync(db, garbage);

        await using var usher = await UsherProcess.RunAsync(_temp.Path, ["serve", "--model-repository", repository, "--data-dir", data], Loopback, ShortCommand);

        Assert.Equal(2, await usher.WaitForExitAsync(ShortCommand));
        var error = Assert.Single(usher.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"the state file {db} is not a usable SQLite database", error, StringComparison.Ordinal);
        Assert.Contains("move it away", error, StringComparison.Ordinal);
        Assert.Equal(garbage, await File.ReadAllBytesAsync(db));
    }

    [Fact]
    public async Task Serve_OnAStateFileOfAnotherRepository_ExitsTwoNamingBothAndDataDir()
    {
        var repository = Directory.CreateDirectory(_temp.Combine("repo")).FullName;
        var other = Directory.CreateDirectory(_temp.Combine("other-repo")).FullName;
        var data = _temp.Combine("data");
        await (await Usher.ControlPlane.Persistence.StateFile.OpenAsync(Path.Combine(data, "usher.db"), other, followsRepository: false, CancellationToken.None)).DisposeAsync();

        await using var usher = await UsherProcess.RunAsync(_temp.Path, ["serve", "--model-repository", repository, "--data-dir", data], Loopback, ShortCommand);

        Assert.Equal(2, await usher.WaitForExitAsync(ShortCommand));
        var error = Assert.Single(usher.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"belongs to the model repository {other}, not {repository}", error, StringComparison.Ordinal);
        Assert.Contains("--data-dir", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_KeepsItsStateInTheRepository_AndASecondServerOnIt_ExitsTwoNamingTheFirst()
    {
        var repository = _temp.Combine("repo");
        SampleRepository.CopySample(repository, SampleModels.FraudName);
        await using var first = UsherProcess.Start(_temp.Path, ["serve", "--model-repository", repository, "--http-port", "0"], Loopback);
        using var client = new HttpClient { BaseAddress = await ListeningAddressAsync(first) };
        await WaitForStatusAsync(client, "/v2/health/ready", HttpStatusCode.OK, StartDeadline, first);

        await using var second = await UsherProcess.RunAsync(_temp.Path, ["serve", "--model-repository", repository, "--http-port", "0"], Loopback, ShortCommand);

        var db = Path.Combine(repository, ".usher", "usher.db");
        Assert.True(File.Exists(db), first.Transcript);
        Assert.False(Directory.Exists(Path.Combine(_temp.Path, ".usher")), "no state in the working directory");
        Assert.Equal(2, await second.WaitForExitAsync(ShortCommand));
        var error = Assert.Single(second.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"the state file {db} is in use by another Usher server (pid {first.Id} ", error, StringComparison.Ordinal);
        using var stillServing = await client.GetAsync(new Uri("/v2/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, stillServing.StatusCode);
    }

    [Fact]
    public async Task Serve_AFaultSetWithUsherFault_SurvivesARestartOnTheSameDataDir_UntilUsherFaultClear()
    {
        var repository = _temp.Combine("repo");
        SampleRepository.CopySample(repository, SampleModels.FraudName);
        string[] serve = ["serve", "--model-repository", repository, "--http-port", "0", "--data-dir", _temp.Combine("data")];
        await using (var first = UsherProcess.Start(_temp.Path, serve, Loopback))
        {
            var address = await ListeningAddressAsync(first);
            using var client = new HttpClient { BaseAddress = address };
            await WaitForStatusAsync(client, "/v2/health/ready", HttpStatusCode.OK, StartDeadline, first);
            await using var set = await UsherProcess.RunAsync(_temp.Path, ["fault", "fraud", "--version", "2", "--abort", "1", "--status", "507", "--server", address.ToString()], ShortCommand);
            Assert.True(await set.WaitForExitAsync(ShortCommand) == 0, set.Transcript);
            using var aborted = await client.PostAsJsonAsync("/v2/models/fraud/infer", FraudRequest(rows: 1));
            Assert.Equal(507, (int)aborted.StatusCode);
            await first.TerminateAsync();
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        await using var second = UsherProcess.Start(_temp.Path, serve, Loopback);
        var again = await ListeningAddressAsync(second);
        using var restarted = new HttpClient { BaseAddress = again };
        await WaitForStatusAsync(restarted, "/v2/health/ready", HttpStatusCode.OK, StartDeadline, second);
        using (var stillAborted = await restarted.PostAsJsonAsync("/v2/models/fraud/infer", FraudRequest(rows: 1)))
        {
            var text = await stillAborted.Content.ReadAsStringAsync();
            Assert.True((int)stillAborted.StatusCode == 507, text);
            Assert.Contains("fault injected", text, StringComparison.Ordinal);
        }

        Assert.Contains("injected faults restored from the state store", second.Transcript, StringComparison.Ordinal);
        Assert.Contains("(1): fraud:2 (set by operator at ", second.Transcript, StringComparison.Ordinal);
        await using var clear = await UsherProcess.RunAsync(_temp.Path, ["fault", "fraud", "--version", "2", "--clear", "--server", again.ToString()], ShortCommand);
        Assert.True(await clear.WaitForExitAsync(ShortCommand) == 0, clear.Transcript);
        await AssertFraudAnswerAsync(restarted, rows: 1);
    }

    [SkippableFact]
    public async Task Serve_WithPostgresState_ASecondServerOnTheDatabase_SeesTheFirstOnesRollout_FromAnotherRepositoryPath()
    {
        var postgres = await PostgresServer.SharedAsync();
        var state = postgres.Uri(await postgres.CreateDatabaseAsync());
        var repositoryA = _temp.Combine("machine-a", "models");
        var repositoryB = _temp.Combine("machine-b", "models");
        SampleRepository.CopySample(repositoryA, SampleModels.FraudName);
        SampleRepository.CopySample(repositoryB, SampleModels.FraudName);
        long rolloutId;
        await using (var first = UsherProcess.Start(_temp.Path, ["serve", "--model-repository", repositoryA, "--http-port", "0", "--state", state], Loopback))
        {
            using var client = new HttpClient { BaseAddress = await ListeningAddressAsync(first) };
            await WaitForStatusAsync(client, "/v2/health/ready", HttpStatusCode.OK, StartDeadline, first);
            using var deployed = await client.PostAsync(
                new Uri("/admin/deployments", UriKind.Relative),
                new StringContent("""{"endpoint": "fraud", "version": 1, "strategy": "direct"}""", System.Text.Encoding.UTF8, "application/json"));
            var body = await deployed.Content.ReadAsStringAsync();
            Assert.True(deployed.IsSuccessStatusCode, body);
            rolloutId = (long)JsonNode.Parse(body)!["id"]!;
            using var served = await client.PostAsJsonAsync("/v2/models/fraud/infer", FraudRequest(rows: 1));
            Assert.Equal("fraud:1", served.Headers.GetValues("x-usher-variant").Single());
            await first.TerminateAsync();
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        // Nothing went to a SQLite file: the state is the database's.
        Assert.False(Directory.Exists(Path.Combine(repositoryA, ".usher")), "no state file beside the repository");

        await using var second = UsherProcess.Start(_temp.Path, ["serve", "--model-repository", repositoryB, "--http-port", "0", "--state", state], Loopback);
        using var again = new HttpClient { BaseAddress = await ListeningAddressAsync(second) };
        await WaitForStatusAsync(again, "/v2/health/ready", HttpStatusCode.OK, StartDeadline, second);
        var status = JsonNode.Parse(await again.GetStringAsync(new Uri("/admin/endpoints/fraud/rollout", UriKind.Relative)))!;
        Assert.Equal((rolloutId, "direct", 1L), ((long)status["id"]!, (string?)status["strategy"], (long)status["candidate_version"]!));
        Assert.Contains($"rollout {rolloutId} (direct of fraud version 1 over 2)", await again.GetStringAsync(new Uri("/admin/endpoints/fraud/history", UriKind.Relative)), StringComparison.Ordinal);
        using var restored = await again.PostAsJsonAsync("/v2/models/fraud/infer", FraudRequest(rows: 1));
        Assert.Equal("fraud:1", restored.Headers.GetValues("x-usher-variant").Single());
    }

    [Fact]
    public async Task Serve_WithAStateDatabaseThatCannotBeReached_ExitsTwoWithOneLineNamingIt_WithoutThePassword()
    {
        var repository = _temp.Combine("repo");
        SampleRepository.CopySample(repository, SampleModels.FraudName);
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        await using var usher = await UsherProcess.RunAsync(
            _temp.Path, ["serve", "--model-repository", repository, "--http-port", "0", "--state", $"postgresql://usher:pw-not-to-print@127.0.0.1:{port}/shared"], Loopback, ShortCommand);

        Assert.Equal(2, await usher.WaitForExitAsync(ShortCommand));
        var error = Assert.Single(usher.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"cannot reach the PostgreSQL server 127.0.0.1:{port} for the shared state database postgresql://usher@127.0.0.1:{port}/shared", error, StringComparison.Ordinal);
        Assert.DoesNotContain("pw-not-to-print", usher.Transcript, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", usher.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithStateAndDataDir_ExitsTwoNamingBoth()
    {
        var repository = Directory.CreateDirectory(_temp.Combine("repo")).FullName;

        await using var usher = await UsherProcess.RunAsync(
            _temp.Path, ["serve", "--model-repository", repository, "--data-dir", _temp.Combine("data"), "--state", "postgresql://usher@127.0.0.1:5432/usher"], Loopback, ShortCommand);

        Assert.Equal(2, await usher.WaitForExitAsync(ShortCommand));
        Assert.Contains("admin.state: admin.data_dir (--data-dir) is set too; keep one of them", usher.StandardError, StringComparison.Ordinal);
    }

    internal static async Task<Uri> ListeningAddressAsync(UsherProcess usher)
    {
        var match = await usher.WaitForLineAsync(ListeningLine(), StartDeadline);
        return new Uri(match.Groups["address"].Value);
    }

    /// <summary>Polls <paramref name="path"/> until it answers <paramref name="expected"/>; fails at the deadline.</summary>
    internal static async Task WaitForStatusAsync(HttpClient client, string path, HttpStatusCode expected, TimeSpan deadline, UsherProcess usher)
    {
        using var cts = new CancellationTokenSource(deadline);
        var last = "no answer";
        while (!cts.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync(new Uri(path, UriKind.Relative), cts.Token);
                if (response.StatusCode == expected)
                {
                    return;
                }

                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cts.Token)}";
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                last = ex.Message;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cts.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        Assert.Fail($"GET {path} did not answer {(int)expected} within {deadline.TotalSeconds} s; last: {last}\n{usher.Transcript}");
    }

    /// <summary>Posts <see cref="FraudRequest"/> of <paramref name="rows"/> rows and checks every row's probabilities against the reference forward pass of the served version (2).</summary>
    private static async Task AssertFraudAnswerAsync(HttpClient client, int rows)
    {
        var request = FraudRequest(rows);
        using var response = await client.PostAsJsonAsync("/v2/models/fraud/infer", request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var data = JsonNode.Parse(text)!["outputs"]![0]!["data"]!.AsArray().Select(v => (double)v!).ToArray();
        var features = request["inputs"]![0]!["data"]!.AsArray().Select(v => (float)v!).ToArray();
        Assert.Equal(rows * 2, data.Length);
        for (var r = 0; r < rows; r++)
        {
            var expected = ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudWeights(2), features.AsSpan(r * SampleModels.FraudFeatures, SampleModels.FraudFeatures)));
            Assert.Equal(expected[0], data[r * 2], 1e-5);
            Assert.Equal(expected[1], data[(r * 2) + 1], 1e-5);
        }
    }

    internal static JsonObject FraudRequest(int rows)
    {
        var random = new Random(rows);
        var data = new JsonArray();
        for (var i = 0; i < rows * SampleModels.FraudFeatures; i++)
        {
            data.Add((float)((random.NextDouble() * 2) - 1));
        }

        return new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "features",
                ["datatype"] = "FP32",
                ["shape"] = new JsonArray(rows, SampleModels.FraudFeatures),
                ["data"] = data,
            }),
        };
    }

    [GeneratedRegex(@"Now listening on: (?<address>http://\S+)")]
    private static partial Regex ListeningLine();
}
