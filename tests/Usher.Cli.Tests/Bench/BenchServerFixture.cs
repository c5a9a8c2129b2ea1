using System.Net;
using System.Net.Sockets;
using Usher.Backends.Onnx.Samples;
using Usher.Testing;

namespace Usher.Cli.Tests.Bench;

/// <summary>
/// One real <c>usher serve</c> (a child process on loopback, HTTP and gRPC) with the fraud sample,
/// shared by the tests that run <c>usher bench</c> against it.
/// </summary>
public sealed class BenchServerFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new();
    private UsherProcess? _usher;

    /// <summary>The server's HTTP base URL.</summary>
    public Uri Http { get; private set; } = null!;

    /// <summary>The server's gRPC address.</summary>
    public Uri Grpc { get; private set; } = null!;

    /// <summary>A scratch folder for request files.</summary>
    internal TempDirectory Temp => _temp;

    /// <summary>Stdout and stderr of the server, for assertion messages.</summary>
    public string Transcript => _usher?.Transcript ?? string.Empty;

    public async Task InitializeAsync()
    {
        var repository = Directory.CreateDirectory(_temp.Combine("repo")).FullName;
        SampleModels.Generate(repository, includeLarge: false, overwrite: true);
        var (http, grpc) = (FreePort(), FreePort());
        Http = new Uri($"http://127.0.0.1:{http}/");
        Grpc = new Uri($"http://127.0.0.1:{grpc}/");
        _usher = UsherProcess.Start(
            _temp.Path,
            ["serve", "--model-repository", repository, "--http-port", $"{http}", "--grpc-port", $"{grpc}"],
            new Dictionary<string, string>(StringComparer.Ordinal) { ["USHER_SERVER__HOST"] = "127.0.0.1" });

        using var client = new HttpClient { BaseAddress = Http };
        using var cts = new CancellationTokenSource(StartDeadline);
        while (true)
        {
            try
            {
                using var response = await client.GetAsync(new Uri("v2/models/fraud/ready", UriKind.Relative), cts.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                // Polling a process that is starting up, not waiting for a timer under test.
                await Task.Delay(TimeSpan.FromMilliseconds(100), cts.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        Assert.Fail($"usher serve was not ready within {StartDeadline.TotalSeconds} s\n{_usher.Transcript}");
    }

    public async Task DisposeAsync()
    {
        if (_usher is not null)
        {
            await _usher.DisposeAsync();
        }

        _temp.Dispose();
    }

    // A port the OS hands out and that is free right now; the server binds it moments later.
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
