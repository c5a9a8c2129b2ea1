using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Usher.Core.Inference;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// <c>Content-Encoding</c> of inference requests (<c>gzip</c>, <c>deflate</c>, <c>identity</c>, as
/// Triton accepts), and the <c>deflate</c> coding of responses. HTTP's "deflate" is the zlib format
/// (RFC 9110 §8.4.1.2), which is what Triton's clients send. Responses are coded by the response
/// compression middleware with <see cref="ZLibCompressionProvider"/> beside its gzip.
/// </summary>
internal static class ContentCoding
{
    /// <summary>The stream that decodes the body, or an error naming the codings supported.</summary>
    public static InferenceResult<Stream> Decode(HttpRequest request)
    {
        var coding = request.Headers.ContentEncoding.ToString().Trim();
        if (coding.Length == 0 || coding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return InferenceResult<Stream>.Success(request.Body);
        }

        if (coding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || coding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
        {
            return InferenceResult<Stream>.Success(new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true));
        }

        if (coding.Equals("deflate", StringComparison.OrdinalIgnoreCase))
        {
            return InferenceResult<Stream>.Success(new ZLibStream(request.Body, CompressionMode.Decompress, leaveOpen: true));
        }

        return InferenceError.Invalid($"Content-Encoding '{coding}' is not supported; send gzip, deflate or identity");
    }
}
