namespace Usher.Core.Models;

/// <summary>
/// The <c>logging</c> section of <c>config.yaml</c>: a sampled share of the model's requests written
/// with their inputs and outputs to files in <see cref="Path"/>, off the request path. Absent: off.
/// </summary>
internal sealed record RequestLoggingConfig
{
    /// <summary>The default of <see cref="MaxBytes"/>: 1 GiB.</summary>
    public const long DefaultMaxBytes = 1L << 30;

    /// <summary>The largest default of <see cref="MaxFileBytes"/>: 64 MiB.</summary>
    public const long DefaultMaxFileBytes = 64L << 20;

    /// <summary>The share of requests written, in (0, 1]; default 0.01.</summary>
    public double Sample { get; init; } = 0.01;

    /// <summary>The folder of the log files as written in the file (required); a relative path is under the model's folder in the repository.</summary>
    public string Path { get; init; } = "";

    /// <summary>The file format; default <see cref="RequestLogFormat.Jsonl"/>.</summary>
    public RequestLogFormat Format { get; init; } = RequestLogFormat.Jsonl;

    /// <summary>Bytes the folder's log files may take; past it the oldest files are deleted. Default 1 GiB.</summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>The size past which a file is closed and a new one begun; null: a quarter of <see cref="MaxBytes"/>, at most 64 MiB.</summary>
    public long? MaxFileBytes { get; init; }

    /// <summary>The rotation size in effect.</summary>
    public long FileBytes => MaxFileBytes ?? Math.Max(1, Math.Min(DefaultMaxFileBytes, MaxBytes / 4));

    /// <summary>The log folder: <see cref="Path"/> as given when absolute, otherwise under <paramref name="modelDirectory"/> (never the working directory).</summary>
    public string ResolveDirectory(string modelDirectory)
        => System.IO.Path.GetFullPath(System.IO.Path.IsPathRooted(Path) ? Path : System.IO.Path.Combine(modelDirectory, Path));
}
