namespace Usher.Cli.Tests.Pull;

/// <summary>
/// Faults applied to the next artifact download on its way from the real server to <c>usher pull</c>,
/// and the Range headers each artifact request carried.
/// </summary>
internal sealed class ArtifactFaults
{
    /// <summary>When set, the next artifact body breaks off with an IOException after this many bytes.</summary>
    public long? CutAfterBytes { get; set; }

    /// <summary>When set, the next artifact body arrives with this byte flipped.</summary>
    public int? CorruptByteAt { get; set; }

    /// <summary>The Range header of every artifact request ("" when none), in order.</summary>
    public List<string> Ranges { get; } = [];

    /// <summary>A handler over <paramref name="inner"/> that applies the faults (one per HttpClient: it disposes its inner handler).</summary>
    public DelegatingHandler Over(HttpMessageHandler inner) => new Handler(this) { InnerHandler = inner };

    private sealed class Handler(ArtifactFaults faults) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (!request.RequestUri!.AbsolutePath.EndsWith("/artifact", StringComparison.Ordinal))
            {
                return response;
            }

            faults.Ranges.Add(request.Headers.Range?.ToString() ?? string.Empty);
            if (faults.CutAfterBytes is long cut)
            {
                faults.CutAfterBytes = null;
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                response.Content = Replace(response.Content, new StreamContent(new BrokenStream(body, cut)));
            }
            else if (faults.CorruptByteAt is int at)
            {
                faults.CorruptByteAt = null;
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                body[at] ^= 0xFF;
                response.Content = Replace(response.Content, new ByteArrayContent(body));
            }

            return response;
        }

        private static HttpContent Replace(HttpContent old, HttpContent content)
        {
            foreach (var header in old.Headers)
            {
                content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            old.Dispose();
            return content;
        }
    }

    // Serves the first `cut` bytes, then fails as a dropped connection does.
    private sealed class BrokenStream(byte[] data, long cut) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= cut)
            {
                throw new IOException("the connection was reset");
            }

            var n = (int)Math.Min(count, cut - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
