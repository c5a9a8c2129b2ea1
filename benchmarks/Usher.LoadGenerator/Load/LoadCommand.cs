using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using Grpc.Net.Client;

namespace Usher.LoadGenerator.Load;

/// <summary>The root command: one closed-loop run against one URL.</summary>
internal static class LoadCommand
{
    public static RootCommand Create()
    {
        var url = new Option<Uri>("--url")
        {
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
                {
                    return uri;
                }

                result.AddError($"--url: expected an absolute http:// or https:// URL, got '{text}'");
                return null;
            },
            Description = "Endpoint to POST to, e.g. http://127.0.0.1:8000/v2/models/fraud/infer.",
            HelpName = "URL",
            Required = true,
        };
        var bodyFile = new Option<FileInfo>("--body-file")
        {
            Description = "File whose bytes are the request body (JSON).",
            HelpName = "FILE",
            Required = true,
        };
        var concurrency = new Option<int>("--concurrency", "-c")
        {
            Description = "Workers, each with one request in flight.",
            HelpName = "N",
            DefaultValueFactory = _ => 1,
        };
        var warmup = new Option<double>("--warmup-seconds")
        {
            Description = "Seconds of load before recording starts.",
            HelpName = "S",
            DefaultValueFactory = _ => 3,
        };
        var duration = new Option<double>("--duration-seconds")
        {
            Description = "Seconds of recorded load after the warm-up.",
            HelpName = "D",
            DefaultValueFactory = _ => 10,
        };
        var protocol = new Option<WireProtocol>("--protocol")
        {
            Description = "rest: POST the JSON body; rest-binary: the same tensors with the binary tensor data extension; "
                + "grpc-raw: ModelInfer with raw_input_contents to the gRPC address in --url (needs --model).",
            HelpName = "rest|rest-binary|grpc-raw",
            DefaultValueFactory = _ => WireProtocol.Rest,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                switch (text)
                {
                    case "rest": return WireProtocol.Rest;
                    case "rest-binary": return WireProtocol.RestBinary;
                    case "grpc-raw": return WireProtocol.GrpcRaw;
                    default:
                        result.AddError($"--protocol: expected rest, rest-binary or grpc-raw, got '{text}'");
                        return WireProtocol.Rest;
                }
            },
        };
        var model = new Option<string?>("--model")
        {
            Description = "The model a gRPC request names (grpc-raw only).",
            HelpName = "NAME",
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print the result as one JSON object (snake_case) instead of text.",
        };

        var root = new RootCommand(
            "usher-load: closed-loop HTTP or gRPC load. N workers send the same request through one pooled client and "
            + "record every latency after the warm-up; reports requests/s, p50/p90/p99, errors by status, and "
            + "the server's own overhead (total - queue - compute) when responses carry Server-Timing.")
        {
            url, bodyFile, concurrency, warmup, duration, protocol, model, json,
        };
        concurrency.Validators.Add(r => Require(r, r.GetValueOrDefault<int>() >= 1, "--concurrency: expected an integer >= 1"));
        warmup.Validators.Add(r => Require(r, r.GetValueOrDefault<double>() >= 0, "--warmup-seconds: expected a number >= 0"));
        duration.Validators.Add(r => Require(r, r.GetValueOrDefault<double>() > 0, "--duration-seconds: expected a number > 0"));
        root.SetAction(async (parse, cancellationToken) =>
        {
            var file = parse.GetRequiredValue(bodyFile);
            if (!file.Exists)
            {
                await Console.Error.WriteLineAsync($"usher-load: --body-file: {file.FullName} does not exist").ConfigureAwait(false);
                return 2;
            }

            var settings = new LoadSettings(
                parse.GetRequiredValue(url),
                await File.ReadAllBytesAsync(file.FullName, cancellationToken).ConfigureAwait(false),
                parse.GetValue(concurrency),
                parse.GetValue(warmup),
                parse.GetValue(duration),
                parse.GetValue(protocol),
                parse.GetValue(model));
            if (settings.Protocol == WireProtocol.GrpcRaw && string.IsNullOrEmpty(settings.Model))
            {
                await Console.Error.WriteLineAsync("usher-load: --protocol grpc-raw needs --model NAME").ConfigureAwait(false);
                return 2;
            }

            using var client = ClosedLoopRunner.CreateClient(settings.Concurrency);
            using var channel = GrpcChannel.ForAddress(settings.Url, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, UseProxy = false },
                MaxReceiveMessageSize = null,
                MaxSendMessageSize = null,
            });
            Func<IRequestSender> senders;
            switch (settings.Protocol)
            {
                case WireProtocol.RestBinary:
                    var (body, headerLength) = RequestEncoder.ToBinary(settings.Body);
                    senders = () => new HttpSender(client, settings.Url, body, headerLength);
                    break;
                case WireProtocol.GrpcRaw:
                    var grpc = new Usher.Server.Protos.GRPCInferenceService.GRPCInferenceServiceClient(channel);
                    var request = RequestEncoder.ToGrpcRaw(settings.Body, settings.Model!);
                    senders = () => new GrpcSender(grpc, request);
                    break;
                default:
                    senders = () => new HttpSender(client, settings.Url, settings.Body, null);
                    break;
            }

            var result = await new ClosedLoopRunner(settings, senders).RunAsync(cancellationToken).ConfigureAwait(false);
            Console.Out.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(result, ResultJson.Options) : Describe(result));
            return 0;
        });
        return root;
    }

    private static void Require(OptionResult result, bool valid, string error)
    {
        if (!valid)
        {
            result.AddError(error);
        }
    }

    private static string Describe(LoadResult r)
    {
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(c, $"{r.Url}: concurrency {r.Concurrency}, {r.DurationSeconds} s measured after {r.WarmupSeconds} s warm-up"),
            string.Create(c, $"  throughput  {r.RequestsPerSecond:F1} requests/s ({r.Requests} requests, {r.Errors} errors)"),
            string.Create(c, $"  latency ms  p50 {r.LatencyMs.P50:F3}  p90 {r.LatencyMs.P90:F3}  p99 {r.LatencyMs.P99:F3}  max {r.LatencyMs.Max:F3}  mean {r.LatencyMs.Mean:F3}"),
        };
        if (r.ErrorsByStatus.Count > 0)
        {
            lines.Add("  errors      " + string.Join(", ", r.ErrorsByStatus.Select(e => $"{e.Key}: {e.Value}")));
        }

        lines.Add(r.ServerOverheadMs is { } o
            ? string.Create(c, $"  server overhead ms (Server-Timing total - queue - compute, {o.Samples} answers)  p50 {o.P50:F3}  p99 {o.P99:F3}")
            : "  server overhead: no Server-Timing header in the answers");
        return string.Join(Environment.NewLine, lines);
    }
}
