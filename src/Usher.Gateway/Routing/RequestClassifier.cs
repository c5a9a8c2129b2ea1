using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Usher.Gateway.Routing;

/// <summary>Reads a request's <see cref="RequestTarget"/>: from the REST path, or from the first bytes of a gRPC message.</summary>
internal static class RequestClassifier
{
    public const string GrpcService = "/inference.GRPCInferenceService/";

    // gRPC methods that only read; the rest (repository load/unload, streams, shared memory) are control.
    private static readonly HashSet<string> GrpcReads = new(StringComparer.Ordinal)
    {
        "ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata", "ModelStatistics", "RepositoryIndex",
    };

    private static readonly HashSet<string> GrpcNamingModel = new(StringComparer.Ordinal)
    {
        "ModelInfer", "ModelReady", "ModelMetadata", "ModelStatistics",
    };

    public static async ValueTask<RequestTarget> ClassifyAsync(HttpContext context)
    {
        var request = context.Request;
        var hardware = Header(request, RequestTarget.HardwareHeader);
        var region = Header(request, RequestTarget.RegionHeader);
        var path = request.Path.Value ?? string.Empty;
        if (path.StartsWith(GrpcService, StringComparison.Ordinal))
        {
            var method = path[GrpcService.Length..];
            var kind = method == "ModelInfer" ? RequestKind.Inference : GrpcReads.Contains(method) ? RequestKind.Read : RequestKind.Control;
            string? model = null;
            long? version = null;
            if (GrpcNamingModel.Contains(method))
            {
                // Buffered so that the forwarder (and a retry) still sends the whole body.
                request.EnableBuffering(RequestTarget.BufferInMemoryBytes);
                var prefix = new byte[GrpcModelName.PrefixBytes];
                var read = 0;
                int n;
                while (read < prefix.Length && (n = await request.Body.ReadAsync(prefix.AsMemory(read), context.RequestAborted).ConfigureAwait(false)) > 0)
                {
                    read += n;
                }

                request.Body.Position = 0;
                if (GrpcModelName.TryParse(prefix.AsSpan(0, read), out var name, out var versionText))
                {
                    model = name;
                    version = ParseVersion(versionText);
                }
            }

            return new RequestTarget(kind, model, version, hardware, region, Grpc: true);
        }

        return Rest(path, request.Method, hardware, region);
    }

    /// <summary>A REST request: <c>/v2/models/{m}[/versions/{v}][/...]</c> names a model; <c>.../infer</c> is an inference.</summary>
    public static RequestTarget Rest(string path, string method, string? hardware, string? region)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var read = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        var inference = HttpMethods.IsPost(method) && segments.Length >= 4 && segments[0] == "v2" && segments[1] == "models" && segments[^1] == "infer";
        var kind = inference ? RequestKind.Inference : read ? RequestKind.Read : RequestKind.Control;
        if (segments.Length < 3 || segments[0] != "v2" || segments[1] != "models")
        {
            return new RequestTarget(kind, null, null, hardware, region, Grpc: false);
        }

        long? version = segments.Length >= 5 && segments[3] == "versions" ? ParseVersion(segments[4]) : null;
        return new RequestTarget(kind, segments[2], version, hardware, region, Grpc: false);
    }

    private static long? ParseVersion(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null;

    private static string? Header(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrWhiteSpace(values[0]) ? values[0] : null;
}
