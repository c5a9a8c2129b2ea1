using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Usher.Cli.Admin;
using Usher.Cli.Bench;
using Usher.ControlPlane.Deployments;

namespace Usher.Cli.Commands;

/// <summary>
/// <c>usher bench MODEL</c>: load generation against a running server, the perf_analyzer of Usher.
/// A closed loop at one concurrency or a sweep, or an open loop at a rate; requests generated from
/// the model's metadata or read from a file; throughput, latency percentiles, errors by status and
/// the server's own split of its time.
/// </summary>
internal static class BenchCommand
{
    private const int DefaultMaxInFlight = 1024;

    public static Command Create(ClientEnvironment env)
    {
        var model = new Argument<string>("model") { Description = "The model (endpoint) to load, as in /v2/models/{model}/infer." };
        var server = new Option<string?>("--server")
        {
            Description = $"The Usher server's HTTP URL. Default: ${ClientOptions.ServerVariable}, else {ClientOptions.DefaultServer}.",
            HelpName = "URL",
        };
        var grpcServer = new Option<string?>("--grpc-server")
        {
            Description = "The gRPC address for --protocol grpc. Default: the --server host on port 8001.",
            HelpName = "URL",
        };
        var protocol = new Option<string>("--protocol", "-p")
        {
            Description = "rest: JSON bodies; rest-binary: the binary tensor data extension; grpc: ModelInfer with raw_input_contents.",
            HelpName = "rest|rest-binary|grpc",
            DefaultValueFactory = _ => "rest",
        };
        protocol.AcceptOnlyFromAmong("rest", "rest-binary", "grpc");
        var concurrency = new Option<string?>("--concurrency", "-c")
        {
            Description = "Closed loop: requests in flight, each sent as soon as the previous one is answered; a list (1,8,64) runs a sweep. "
                + $"With --rate: the most in flight at once (default {DefaultMaxInFlight}); arrivals beyond it count as dropped. Default: 1.",
            HelpName = "N[,N...]",
        };
        var rate = new Option<double?>("--rate", "-r")
        {
            Description = "Open loop: requests per second, with Poisson arrivals (seeded exponential gaps), sent whether or not earlier ones were "
                + "answered; latency counts from the arrival, so queueing shows.",
            HelpName = "R",
        };
        var input = new Option<FileInfo?>("--input", "-i")
        {
            Description = "A request body to send (Open Inference Protocol JSON). Default: random values generated from GET /v2/models/{model}.",
            HelpName = "FILE",
        };
        var batch = new Option<int>("--batch", "-b")
        {
            Description = "Generated requests: the size of the batch (first, variable) dimension.",
            HelpName = "N",
            DefaultValueFactory = _ => 1,
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seeds the generated values and the open loop's arrival times.",
            HelpName = "N",
            DefaultValueFactory = _ => 1,
        };
        var warmup = new Option<string>("--warmup")
        {
            Description = "Load before recording starts, per point (0 for none).",
            HelpName = "DURATION",
            DefaultValueFactory = _ => "2s",
        };
        var duration = new Option<string>("--duration", "-d")
        {
            Description = "The measured window, per point.",
            HelpName = "DURATION",
            DefaultValueFactory = _ => "10s",
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "table: aligned text to read; json: every figure, snake_case, for scripts; csv: one row per point.",
            HelpName = "table|json|csv",
            DefaultValueFactory = _ => "table",
        };
        output.AcceptOnlyFromAmong("table", "json", "csv");

        var command = new Command("bench", """
            Load a model on a running server and measure it: throughput; p50, p90, p99 and p99.9 latency; errors by status; and the
            server's split of its time from Server-Timing (queue, compute, overhead = total - queue - compute; REST only).
            A live progress line goes to stderr when it is a terminal. The load generator shares the machine's cores with a local server.
            Examples:
              usher bench fraud --concurrency 1,8,64 --duration 10s
              usher bench mlp-large --rate 2000 --duration 30s --output json
              usher bench wide-input --protocol grpc --input request.json
            """)
        {
            model, server, grpcServer, protocol, concurrency, rate, input, batch, seed, warmup, duration, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var problems = new List<string>();
            var options = ClientOptions.Resolve(parse.GetValue(server), null, OutputFormat.Table, env.GetVariable, out var serverProblem);
            if (serverProblem is not null)
            {
                problems.Add(serverProblem);
            }

            var grpc = ResolveGrpc(parse.GetValue(grpcServer), options?.Server, problems);
            var concurrencyText = parse.GetValue(concurrency);
            var targetRate = parse.GetValue(rate);
            var levels = ParseConcurrency(concurrencyText, targetRate is null ? 1 : DefaultMaxInFlight, problems);
            if (targetRate is { } r && !(r > 0 && double.IsFinite(r)))
            {
                problems.Add($"--rate: expected requests per second > 0, got {r.ToString(CultureInfo.InvariantCulture)}");
            }

            if (targetRate is not null && levels.Count > 1)
            {
                problems.Add("--rate runs one open loop: give --concurrency one number (the most requests in flight), not a list");
            }

            var warm = ParseDuration("--warmup", parse.GetValue(warmup)!, allowZero: true, problems);
            var measured = ParseDuration("--duration", parse.GetValue(duration)!, allowZero: false, problems);
            if (parse.GetValue(batch) < 1)
            {
                problems.Add($"--batch: expected an integer >= 1, got {parse.GetValue(batch)}");
            }

            var file = parse.GetValue(input);
            if (file is { Exists: false })
            {
                problems.Add($"--input: {file.FullName} does not exist");
            }

            if (problems.Count > 0)
            {
                return ClientFlags.Refuse(parse, problems);
            }

            var name = parse.GetValue(model)!;
            byte[] body;
            if (file is not null)
            {
                body = await File.ReadAllBytesAsync(file.FullName, ct).ConfigureAwait(false);
            }
            else
            {
                var (generated, failure) = await GenerateAsync(options!.Server, name, parse.GetValue(batch), parse.GetValue(seed), ct).ConfigureAwait(false);
                if (generated is null)
                {
                    await error.WriteLineAsync($"usher bench: {failure}").ConfigureAwait(false);
                    return ExitCodes.Failure;
                }

                body = generated;
            }

            var wire = parse.GetValue(protocol) switch
            {
                "rest-binary" => BenchProtocol.RestBinary,
                "grpc" => BenchProtocol.Grpc,
                _ => BenchProtocol.Rest,
            };
            BenchTarget target;
            try
            {
                target = new BenchTarget(wire, options!.Server, grpc!, name, body);
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or NullReferenceException or FormatException)
            {
                await error.WriteLineAsync($"usher bench: --input: cannot read the request body ({ex.Message}); expected {{\"inputs\":[{{\"name\",\"shape\",\"datatype\",\"data\"}}]}}").ConfigureAwait(false);
                return ExitCodes.BadSettings;
            }

            using (target)
            {
                var runs = new List<BenchResult>();
                foreach (var level in levels)
                {
                    var settings = new BenchSettings(level, targetRate, warm, measured, parse.GetValue(seed));
                    var runner = new LoadRunner(settings, target.CreateSender);
                    runs.Add(await BenchProgress.RunAsync(runner, settings, error, ct).ConfigureAwait(false));
                }

                var report = new BenchReport(name, parse.GetValue(protocol)!, target.Url, target.RequestBytes, runs);
                var writer = parse.InvocationConfiguration.Output;
                switch (parse.GetValue(output))
                {
                    case "json": report.WriteJson(writer); break;
                    case "csv": report.WriteCsv(writer); break;
                    default: report.WriteTable(writer); break;
                }

                // Every request failed: say so in the exit code too, so that scripts notice.
                return runs.All(r => r.Throughput > 0) ? ExitCodes.Success : ExitCodes.Failure;
            }
        });
        return command;
    }

    private static async Task<(byte[]? Body, string? Problem)> GenerateAsync(Uri server, string model, int batch, int seed, CancellationToken ct)
    {
        using var http = BenchTarget.CreateHttpClient();
        var url = new Uri(server, $"v2/models/{Uri.EscapeDataString(model)}");
        try
        {
            using var response = await http.GetAsync(url, ct).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var detail = string.IsNullOrWhiteSpace(text) ? "no metadata; pass a request body with --input FILE" : text.Trim();
                return (null, $"GET {url} answered {(int)response.StatusCode}: {detail}");
            }

            using var metadata = JsonDocument.Parse(text);
            var body = InputGenerator.FromMetadata(metadata.RootElement, batch, seed, out var problem);
            return (body, problem is null ? null : $"model '{model}': {problem}");
        }
        catch (HttpRequestException ex)
        {
            return (null, $"cannot reach {server} ({ex.Message}); is 'usher serve' running there? (--server URL or ${ClientOptions.ServerVariable})");
        }
        catch (JsonException ex)
        {
            return (null, $"GET {url}: the answer is not model metadata JSON ({ex.Message})");
        }
    }

    private static Uri? ResolveGrpc(string? flag, Uri? server, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(flag))
        {
            return server is null ? null : new UriBuilder(server) { Port = 8001, Path = "/" }.Uri;
        }

        if (Uri.TryCreate(flag.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        problems.Add($"--grpc-server: expected an http:// URL such as http://127.0.0.1:8001, got '{flag}'");
        return null;
    }

    private static List<int> ParseConcurrency(string? text, int fallback, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [fallback];
        }

        var levels = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1)
            {
                levels.Add(n);
            }
            else
            {
                problems.Add($"--concurrency: expected integers >= 1 separated by commas (1,8,64), got '{text}'");
                return [fallback];
            }
        }

        return levels;
    }

    private static TimeSpan ParseDuration(string flag, string text, bool allowZero, List<string> problems)
    {
        if (allowZero && text.Trim() is "0" or "0s" or "0ms")
        {
            return TimeSpan.Zero;
        }

        if (Durations.Parse(text) is { } parsed && parsed > TimeSpan.Zero)
        {
            return parsed;
        }

        problems.Add($"{flag}: expected {Durations.Expected}, got '{text}'");
        return TimeSpan.Zero;
    }
}
