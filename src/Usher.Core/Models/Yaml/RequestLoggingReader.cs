using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Usher.Core.Models.Yaml;

/// <summary>
/// Reads <c>logging</c>: <c>{sample: 0.01, path: DIR, format: jsonl|parquet, max_bytes: 1GiB}</c>,
/// and <c>max_file_bytes</c>, the rotation size. Every problem is reported.
/// </summary>
internal static class RequestLoggingReader
{
    private static readonly string[] Keys = ["sample", "path", "format", "max_bytes", "max_file_bytes"];

    private static readonly (string, RequestLogFormat)[] Formats = [("jsonl", RequestLogFormat.Jsonl), ("parquet", RequestLogFormat.Parquet)];

    /// <summary>The section, with defaults for what it does not set; null after an error that leaves nothing to read.</summary>
    public static RequestLoggingConfig? Read(YamlReader reader, YamlNode node, string path)
    {
        if (reader.Map(node, path, Keys) is not { } map)
        {
            return null;
        }

        var config = new RequestLoggingConfig();
        var directory = map.Required("path", "the folder the request log is written to (relative: under the model's folder)") is { } dir
            ? reader.String(dir, map.PathOf("path"))
            : null;
        return config with
        {
            Sample = ReadSample(map) ?? config.Sample,
            Path = directory ?? "",
            Format = map.Choice("format", Formats) ?? config.Format,
            MaxBytes = ReadSize(map, "max_bytes") ?? config.MaxBytes,
            MaxFileBytes = ReadSize(map, "max_file_bytes"),
        };
    }

    private static double? ReadSample(YamlMap map)
    {
        if (!map.TryGet("sample", out var node))
        {
            return null;
        }

        if (node is YamlScalarNode { Value: { } text } && !YamlReader.IsNull(node)
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var share)
            && share > 0 && share <= 1)
        {
            return share;
        }

        map.Reader.Report(node, map.PathOf("sample"), $"expected a share above 0 and at most 1 (0.01 writes one request in a hundred), got {YamlReader.Describe(node)}");
        return null;
    }

    private static long? ReadSize(YamlMap map, string key)
    {
        if (!map.TryGet(key, out var node))
        {
            return null;
        }

        if (node is YamlScalarNode { Value: { } text } && !YamlReader.IsNull(node) && ByteSizes.TryParse(text, out var bytes))
        {
            return bytes;
        }

        map.Reader.Report(node, map.PathOf(key), $"expected {ByteSizes.Expected}, got {YamlReader.Describe(node)}");
        return null;
    }
}
