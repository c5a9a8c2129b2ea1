namespace Usher.Cli.Batch;

/// <summary>Picks a <see cref="FileFormat"/> from a file's extension.</summary>
internal static class FileFormats
{
    /// <summary>The format of <paramref name="path"/>, or null with the extensions that are known.</summary>
    public static FileFormat? FromPath(string path) => Path.GetExtension(path).ToUpperInvariant() switch
    {
        ".CSV" => FileFormat.Csv,
        ".JSONL" or ".NDJSON" => FileFormat.Jsonl,
        ".PARQUET" => FileFormat.Parquet,
        _ => null,
    };

    /// <summary>The extension of a format, with its dot.</summary>
    public static string Extension(FileFormat format) => format switch
    {
        FileFormat.Csv => ".csv",
        FileFormat.Jsonl => ".jsonl",
        _ => ".parquet",
    };

    /// <summary>What to say when an extension is not one of ours.</summary>
    public static string Refusal(string flag, string path)
        => $"{flag}: cannot tell the format of '{path}' from its extension; expected .csv (with a header), .jsonl or .parquet";
}
