package csms

/**
 * The kind of [error] ([CsmsException.kind]): `validation`, `api`, `decode`, `transport`,
 * `credentials`, `rotation` or `internal`, the names every binding uses.
 */
internal fun errorKind(error: CsmsException): String = when (error) {
    is CsmsException.Validation -> "validation"
    is CsmsException.Api -> "api"
    is CsmsException.Decode -> "decode"
    is CsmsException.Transport -> "transport"
    is CsmsException.Credentials -> "credentials"
    is CsmsException.Rotation -> "rotation"
    is CsmsException.Internal -> "internal"
}
