using System.IO.Compression;
using Microsoft.AspNetCore.ResponseCompression;

namespace Usher.Server.Frontends.Http;

/// <summary>The response coding <c>deflate</c> (zlib format) for the response compression middleware, which ships gzip and br only.</summary>
internal sealed class ZLibCompressionProvider : ICompressionProvider
{
    public string EncodingName => "deflate";

    public bool SupportsFlush => true;

    public Stream CreateStream(Stream outputStream) => new ZLibStream(outputStream, CompressionLevel.Fastest, leaveOpen: true);
}
