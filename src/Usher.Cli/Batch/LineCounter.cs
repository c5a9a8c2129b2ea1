namespace Usher.Cli.Batch;

/// <summary>Counts the lines of a text file (a last line without a newline counts too), fast.</summary>
internal static class LineCounter
{
    /// <summary>The number of lines of <paramref name="path"/>.</summary>
    public static long Count(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        long lines = 0;
        var last = (byte)'\n';
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            var span = buffer.AsSpan(0, read);
            lines += span.Count((byte)'\n');
            last = span[^1];
        }

        return last == (byte)'\n' ? lines : lines + 1;
    }
}
