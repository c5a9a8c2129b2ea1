using System.Globalization;

namespace Usher.Streaming.Transports;

/// <summary>
/// A parsed source or sink URI: <c>-</c>, or <c>SCHEME://HOST:PORT/NAME[?key=value&amp;...]</c> where NAME
/// is the Redis stream, MQTT topic or Kafka topic (MQTT topics may contain slashes).
/// </summary>
internal sealed record StreamAddress(TransportKind Kind, string Host, int Port, string Name, IReadOnlyDictionary<string, string> Query)
{
    public static readonly StreamAddress Stdio = new(TransportKind.Stdio, string.Empty, 0, "-", new Dictionary<string, string>());

    /// <summary>The address without a query, for logs and metric labels.</summary>
    public override string ToString() => Kind == TransportKind.Stdio ? "-" : $"{Kind.ToString().ToLowerInvariant()}://{Host}:{Port.ToString(CultureInfo.InvariantCulture)}/{Name}";

    /// <summary>A query parameter as an integer, or <paramref name="fallback"/>.</summary>
    public long Number(string key, long fallback)
        => Query.TryGetValue(key, out var text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    /// <summary>Parses <paramref name="text"/>; null with the <paramref name="problem"/> when it is not an address.</summary>
    public static StreamAddress? Parse(string text, out string? problem)
    {
        problem = null;
        text = text.Trim();
        if (text == "-")
        {
            return Stdio;
        }

        const string expected = "expected redis://HOST:PORT/STREAM, mqtt://HOST:PORT/TOPIC, kafka://HOST:PORT/TOPIC or - (stdin/stdout)";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            problem = $"{expected}, got '{text}'";
            return null;
        }

        TransportKind? kind = uri.Scheme switch
        {
            "redis" => TransportKind.Redis,
            "mqtt" => TransportKind.Mqtt,
            "kafka" => TransportKind.Kafka,
            _ => null,
        };
        var name = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (kind is null || uri.Host.Length == 0 || name.Length == 0)
        {
            problem = $"{expected}, got '{text}'";
            return null;
        }

        var port = uri.IsDefaultPort || uri.Port < 0
            ? kind switch { TransportKind.Redis => 6379, TransportKind.Mqtt => 1883, _ => 9092 }
            : uri.Port;
        var query = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            query[Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals])] = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..]);
        }

        return new StreamAddress(kind.Value, uri.Host, port, name, query);
    }
}
