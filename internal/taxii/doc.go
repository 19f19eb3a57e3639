// Package taxii is the TAXII 2.1 server of an Entente node: an
// [http.Handler] serving server discovery at /taxii2/ and one API root at
// /api1/, over any [store.Store].
//
// It is not a TAXII client (see package taxiiclient), it does not listen or
// terminate TLS (the node does), and it keeps no data of its own: every
// object, status, token and collection lives in the store. It implements
// the Collections service of the OASIS TAXII 2.1 standard (10 June 2021);
// Channels are reserved by the standard and not served.
//
// # Endpoints
//
//	GET    /taxii2/                                              discovery
//	GET    /api1/                                                API root information
//	GET    /api1/status/{id}/                                    status of one POST
//	GET    /api1/collections/                                    collections
//	GET    /api1/collections/{id}/                               one collection
//	GET    /api1/collections/{id}/manifest/                      object manifests
//	GET    /api1/collections/{id}/objects/                       objects
//	POST   /api1/collections/{id}/objects/                       add objects
//	GET    /api1/collections/{id}/objects/{object-id}/           one object
//	DELETE /api1/collections/{id}/objects/{object-id}/           delete an object
//	GET    /api1/collections/{id}/objects/{object-id}/versions/  object versions
//
// Every answer, errors included, is application/taxii+json;version=2.1; an
// error is a TAXII error resource whose http_status matches the response.
//
// # Who may do what
//
// Every request authenticates with an API token, either as the password of
// HTTP Basic (the user name must be the token's owner) or as a Bearer token.
// A user reads a collection its organization may read and writes one its
// organization may write when its role allows writing (see package auth). A
// collection the user may neither read nor write answers 404, as if it did
// not exist; one it may see but not use for the operation asked answers
// 403. A token look-up is cached for two seconds, so a revoked token, or a
// user or organization changed by an operator, takes effect within that
// time. On top of collection rights every read applies the TLP 2.0 rule of
// [auth.CanRead], through the store. A status is visible to its poster only.
//
// # Paging
//
// Results come in date_added order, which the store makes total. A client
// pages either with added_after set to the X-TAXII-Date-Added-Last header
// of the previous page, or with the opaque next token. A next token is
// bound to the user, collection, endpoint and filter that produced it and
// is signed with Config.NextKey; its layout is documented in next.go.
//
// # Query parameters
//
// Parameters that are not TAXII's (added_after, limit, next, match[...])
// are ignored, as deployed clients add their own (cache busters). A TAXII
// parameter the endpoint does not take, an unknown match[...] field, or a
// malformed value is a 400 naming the parameter. Timestamps are truncated
// to microseconds, the store's resolution.
package taxii
