using Config = Akka.Configuration.Config;
using ActorStream.Hosting.Internal.Configuration;

namespace ActorStream.Hosting.Internal.Formation;

/// <summary>
/// Start-up check of Akka.Remote's TLS keys (<c>akka.remote.dot-netty.tcp.enable-ssl</c> and
/// <c>…ssl.certificate</c>): with TLS on and no certificate, Akka.Remote only fails once the
/// transport starts, with a message that names neither key.
/// </summary>
internal static class RemoteTls
{
    public const string EnableSslKey = Tcp + ".enable-ssl";
    public const string CertificatePathKey = Tcp + ".ssl.certificate.path";
    public const string UseThumbprintKey = Tcp + ".ssl.certificate.use-thumbprint-over-file";
    public const string ThumbprintKey = Tcp + ".ssl.certificate.thumbprint";

    private const string Tcp = "akka.remote.dot-netty.tcp";

    /// <exception cref="NodeConfigException">TLS is on and no usable certificate is configured.</exception>
    public static void Validate(Config config)
    {
        if (!Flag(config, EnableSslKey))
        {
            return;
        }

        if (Flag(config, UseThumbprintKey))
        {
            if (string.IsNullOrWhiteSpace(config.GetString(ThumbprintKey, "")))
            {
                throw new NodeConfigException($"{EnableSslKey} = on and {UseThumbprintKey} = on, but {ThumbprintKey} is empty: set the certificate's thumbprint (and .store-name / .store-location)");
            }

            return;
        }

        var path = config.GetString(CertificatePathKey, "")?.Trim() ?? "";
        if (path.Length == 0)
        {
            throw new NodeConfigException(
                $"{EnableSslKey} = on, but no certificate is configured: set {CertificatePathKey} to a PKCS#12 file with the private key (and .password), or {UseThumbprintKey} = on with {ThumbprintKey}");
        }

        if (!File.Exists(path))
        {
            throw new NodeConfigException($"{CertificatePathKey}: certificate file '{path}' does not exist");
        }
    }

    private static bool Flag(Config config, string key)
    {
        if (!config.HasPath(key))
        {
            return false;
        }

        var text = config.GetString(key)?.Trim().ToLowerInvariant() ?? "";
        return text switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" or "" => false,
            _ => throw new NodeConfigException($"{key}: '{text}' is not a switch; allowed: on, off"),
        };
    }
}
