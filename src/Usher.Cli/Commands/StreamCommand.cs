using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Usher.Streaming.Hosting;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Telemetry;
using Usher.Streaming.Transports;

namespace Usher.Cli.Commands;

/// <summary>
/// <c>usher stream MODEL --source URI --sink URI</c>: scores a stream of OIP JSON requests (Redis
/// Streams, MQTT, Kafka or stdin) at least once, answering to a sink (docs/streaming.md).
/// </summary>
internal static class StreamCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "The endpoint to score with (a request may name another in 'model_name')." };
        var source = new Option<string>("--source") { Description = "Where requests come from: redis://HOST:PORT/STREAM, mqtt://HOST:PORT/TOPIC, kafka://HOST:PORT/TOPIC, or - for JSON lines on stdin.", HelpName = "URI", Required = true };
        var sink = new Option<string>("--sink") { Description = "Where answers go, in the same forms (- for stdout).", HelpName = "URI", Required = true };
        var deadLetter = new Option<string?>("--dead-letter") { Description = "Where failed messages go with their reason. Default: the sink, as answers with 'error'.", HelpName = "URI" };
        var group = new Option<string>("--group") { Description = "Consumer group (Redis group, MQTT $share group, Kafka group id).", HelpName = "NAME", DefaultValueFactory = _ => "usher" };
        var consumer = new Option<string?>("--consumer") { Description = "This consumer's name in the group; keep it across restarts. Default: the host name.", HelpName = "NAME" };
        var repository = new Option<DirectoryInfo?>("--model-repository", "-m") { Description = "Score in this process on this repository. Default: the bundled samples/models.", HelpName = "DIR" };
        var server = new Option<string?>("--server") { Description = "Score on a running Usher over REST (such as http://usher:8000), so its rollouts decide.", HelpName = "URL" };
        var maxBatch = new Option<int>("--max-batch") { Description = "Messages read, scored and acknowledged together.", HelpName = "N", DefaultValueFactory = _ => 64 };
        var maxDelay = new Option<string>("--max-delay") { Description = "How long a micro-batch waits to fill (5ms, 1s).", HelpName = "DURATION", DefaultValueFactory = _ => "5ms" };
        var maxInFlight = new Option<int>("--max-in-flight") { Description = "Messages read and not yet acknowledged, at most (backpressure).", HelpName = "N", DefaultValueFactory = _ => 1024 };
        var maxAttempts = new Option<int>("--max-attempts") { Description = "Attempts, redeliveries included, before a failing message is dead-lettered.", HelpName = "N", DefaultValueFactory = _ => 5 };
        var routingKey = new Option<string?>("--routing-key") { Description = "Request field whose value is the routing key (sticky canary/A-B), such as parameters.user_id.", HelpName = "FIELD" };
        var claimIdle = new Option<string>("--claim-idle") { Description = "Redis: claim entries pending on another consumer for this long (XAUTOCLAIM).", HelpName = "DURATION", DefaultValueFactory = _ => "30s" };
        var drain = new Option<string>("--drain-timeout") { Description = "On SIGTERM, how long to wait for in-flight messages.", HelpName = "DURATION", DefaultValueFactory = _ => "30s" };
        var metricsPort = new Option<int?>("--metrics-port") { Description = "Serve GET /metrics (Prometheus text: the streams' and the models' series, as usher serve has them) on this port, every interface; 0 picks a free one. Default: off.", HelpName = "N" };
        var command = new Command("stream", """
            Score a stream: each message is an Open Inference Protocol JSON request; each answer carries the message's id (source_id).
            At least once: a message is acknowledged only after its answer is written. SIGTERM stops reading, finishes what is in flight, exits 0.
            Examples:
              usher stream fraud --source redis://localhost:6379/transactions --sink redis://localhost:6379/scores --consumer worker-1
              usher stream fraud --source mqtt://localhost:1883/sensors/in --sink mqtt://localhost:1883/sensors/out
              cat requests.jsonl | usher stream fraud --source - --sink -
            """)
        {
            model, source, sink, deadLetter, group, consumer, repository, server, maxBatch, maxDelay, maxInFlight, maxAttempts, routingKey, claimIdle, drain, metricsPort,
        };
        command.SetAction(async (parse, ct) =>
        {
            var problems = new List<string>();
            TimeSpan Duration(Option<string> option)
            {
                var text = parse.GetValue(option)!;
                if (DurationText.Parse(text) is { } value)
                {
                    return value;
                }

                problems.Add($"{option.Name}: expected a duration such as 5ms, 2s or 1m, got '{text}'");
                return TimeSpan.Zero;
            }

            var spec = new StreamSpec
            {
                Model = parse.GetValue(model)!,
                Source = parse.GetValue(source)!,
                Sink = parse.GetValue(sink)!,
                DeadLetter = parse.GetValue(deadLetter),
                Group = parse.GetValue(group)!,
                Consumer = parse.GetValue(consumer) ?? Environment.MachineName,
                MaxBatch = parse.GetValue(maxBatch),
                MaxDelay = Duration(maxDelay),
                MaxInFlight = parse.GetValue(maxInFlight),
                MaxAttempts = parse.GetValue(maxAttempts),
                RoutingKey = parse.GetValue(routingKey),
                ClaimIdle = Duration(claimIdle),
                DrainTimeout = Duration(drain),
            };
            problems.AddRange(spec.Validate("--").Select(p => p.Replace('_', '-')));
            Uri? serverUri = null;
            if (parse.GetValue(server) is { } serverText)
            {
                if (Uri.TryCreate(serverText.Trim().TrimEnd('/') + "/", UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
                {
                    serverUri = uri;
                }
                else
                {
                    problems.Add($"--server: expected the REST address of an Usher server such as http://127.0.0.1:8000, got '{serverText}'");
                }
            }

            var repositoryPath = parse.GetValue(repository)?.FullName;
            if (repositoryPath is null && serverUri is null)
            {
                repositoryPath = BundledSamples.Locate();
                if (repositoryPath is null)
                {
                    problems.Add("--model-repository: no repository given and no bundled samples/models found; pass --model-repository DIR or --server URL");
                }
            }

            var metricsAt = parse.GetValue(metricsPort);
            if (metricsAt is < 0 or > 65535)
            {
                problems.Add($"--metrics-port: expected a port from 0 to 65535, got {metricsAt}");
            }

            if (problems.Count > 0)
            {
                return ClientFlags.Refuse(parse, problems);
            }

            return await RunAsync(spec, repositoryPath, serverUri, metricsAt, parse.InvocationConfiguration.Error, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(StreamSpec spec, string? repositoryPath, Uri? serverUri, int? metricsPort, TextWriter error, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnSignal(PosixSignalContext context)
        {
            // Drain instead of dying: stop reading, finish and acknowledge what is in flight, exit 0.
            context.Cancel = true;
            stop.Cancel();
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        // Answers may go to stdout, so logs go to stderr.
        using var loggers = LoggerFactory.Create(b => b
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            })
            .AddFilter("Microsoft", LogLevel.Warning)
            .SetMinimumLevel(LogLevel.Information));
        var logger = loggers.CreateLogger("Usher.Streaming");
        using var metrics = new StreamMetrics();
        var time = TimeProvider.System;
        InProcessModels? models = null;
        HttpClient? http = null;
        MetricsListener? listener = null;
        try
        {
            IStreamScorer scorer;
            if (serverUri is not null)
            {
                http = new HttpClient { BaseAddress = serverUri, Timeout = TimeSpan.FromSeconds(30) };
                scorer = new RemoteScorer(http);
            }
            else
            {
                models = await InProcessModels.OpenAsync(repositoryPath!, time, loggers, stop.Token).ConfigureAwait(false);
                if (models.Models.Index().All(e => !string.Equals(e.Name, spec.Model, StringComparison.Ordinal)))
                {
                    var known = string.Join(", ", models.Models.Index().Select(e => e.Name).Distinct(StringComparer.Ordinal));
                    await error.WriteLineAsync($"usher stream: model '{spec.Model}' is not in {repositoryPath} (models there: {(known.Length == 0 ? "none" : known)})").ConfigureAwait(false);
                    return ExitCodes.BadSettings;
                }

                scorer = new RouterScorer(models.Router);
            }

            if (metricsPort is int port)
            {
                try
                {
                    listener = await MetricsListener.StartAsync(port, models?.Metrics, stop.Token).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    await error.WriteLineAsync($"usher stream: --metrics-port: cannot listen on port {port}: {ex.Message}; pass a free port, or 0").ConfigureAwait(false);
                    return ExitCodes.BadSettings;
                }

                StreamLog.MetricsListening(logger, listener.Address.ToString());
            }

            await StreamRunner.RunAsync(spec, scorer, metrics, time, logger, stop.Token).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        catch (StreamTransportException ex)
        {
            await error.WriteLineAsync($"usher stream: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.BadSettings;
        }
        catch (StreamsConfigException ex)
        {
            await error.WriteLineAsync($"usher stream: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.BadSettings;
        }
        finally
        {
            if (listener is not null)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }

            http?.Dispose();
            if (models is not null)
            {
                await models.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
