using System.Globalization;
using Usher.Core.Models;

namespace Usher.Server.RequestLogging;

/// <summary>
/// The files of a request log folder: named <c>MODEL-UTCTIME-SEQ.jsonl</c> or <c>.parquet</c> (so
/// that names sort oldest first), the open Parquet file hidden (<c>.NAME.open</c>) until it is
/// closed, and the oldest closed files deleted when the folder would pass <c>max_bytes</c>.
/// </summary>
internal static class RequestLogFiles
{
    /// <summary>The extension of a format's files, with its dot.</summary>
    public static string Extension(RequestLogFormat format) => format == RequestLogFormat.Parquet ? ".parquet" : ".jsonl";

    /// <summary>A new file's name for <paramref name="model"/>: its creation time, then a sequence number that breaks ties.</summary>
    public static string NewName(string model, DateTimeOffset now, long sequence, RequestLogFormat format)
        => string.Create(CultureInfo.InvariantCulture, $"{model}-{now.UtcDateTime:yyyyMMdd'T'HHmmss'.'fffffff'Z'}-{sequence:D6}{Extension(format)}");

    /// <summary>
    /// Creates a new log file at <paramref name="path"/> for writing, others may read it meanwhile.
    /// Unbuffered: the sinks gather what they write, so a failed write leaves nothing behind to retry.
    /// </summary>
    public static FileStream CreateNew(string path) => new(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);

    /// <summary>The closed log files of either format in <paramref name="directory"/>, oldest first (hidden, open files excluded).</summary>
    public static List<FileInfo> Closed(string directory)
        => [.. new DirectoryInfo(directory).EnumerateFiles()
            .Where(f => !f.Name.StartsWith('.') && (f.Extension == ".jsonl" || f.Extension == ".parquet"))
            .OrderBy(f => f.LastWriteTimeUtc)
            .ThenBy(f => f.Name, StringComparer.Ordinal)];

    /// <summary>
    /// Deletes the oldest closed files of <paramref name="directory"/> until they take at most
    /// <paramref name="maxBytes"/> minus <paramref name="reserve"/> (the room the open file may grow into).
    /// </summary>
    /// <returns>The names deleted.</returns>
    public static List<string> Prune(string directory, long maxBytes, long reserve, string? keep = null)
    {
        var files = Closed(directory).Where(f => f.FullName != keep).ToList();
        var total = files.Sum(f => f.Length);
        var deleted = new List<string>();
        foreach (var file in files)
        {
            if (total <= maxBytes - reserve)
            {
                break;
            }

            // Read before deleting: a deleted FileInfo no longer knows its length.
            var length = file.Length;
            file.Delete();
            total -= length;
            deleted.Add(file.Name);
        }

        return deleted;
    }
}
