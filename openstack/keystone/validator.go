package keystone

import (
	"container/list"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrServiceTokenRejected means Keystone refused the token used to validate others: a
// configuration problem of ours, not a verdict on the token being validated.
var ErrServiceTokenRejected = errors.New("keystone: service token rejected")

// TokenProvider hands out the token used to authenticate validation calls.
// *TokenSource is one; if it also has Invalidate, a rejected token is dropped and fetched anew.
type TokenProvider interface {
	Token(ctx context.Context) (string, error)
}

// ValidatorOptions configures a Validator; zero values take the defaults.
type ValidatorOptions struct {
	// ServiceToken authenticates validation calls. Nil: each token validates itself, which
	// Keystone's default policy allows (identity:validate_token includes token_subject).
	ServiceToken TokenProvider
	// TTL bounds how long a validated token is trusted without asking Keystone again, and so how
	// long a revoked token may still be accepted. Default 5 minutes.
	TTL time.Duration
	// NegativeTTL is how long a rejected token stays rejected without asking again, which shields
	// Keystone from clients retrying a bad token. Default 10 s; negative disables it.
	NegativeTTL time.Duration
	// MaxEntries bounds the cache; the least recently used entry goes first. Default 10000.
	MaxEntries int
	// Now is the clock, for tests. Default time.Now.
	Now func() time.Time
}

// Validator validates tokens against Keystone through a bounded TTL cache. Safe for concurrent use;
// concurrent validations of one token make a single call to Keystone.
type Validator struct {
	client *Client
	opt    ValidatorOptions

	mu       sync.Mutex
	lru      *list.List // of *entry, most recent first
	entries  map[[32]byte]*list.Element
	inflight map[[32]byte]*call
}

type entry struct {
	key     [32]byte
	info    *TokenInfo
	err     error
	expires time.Time
}

type call struct {
	done chan struct{}
	info *TokenInfo
	err  error
}

// NewValidator returns a validator that asks c.
func NewValidator(c *Client, o ValidatorOptions) *Validator {
	if o.TTL <= 0 {
		o.TTL = 5 * time.Minute
	}
	if o.NegativeTTL == 0 {
		o.NegativeTTL = 10 * time.Second
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 10000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Validator{client: c, opt: o, lru: list.New(),
		entries: map[[32]byte]*list.Element{}, inflight: map[[32]byte]*call{}}
}

// Validate returns what Keystone says about token, from the cache when fresh. A token that
// Keystone refuses, or that has expired, yields an error wrapping ErrInvalidToken.
func (v *Validator) Validate(ctx context.Context, token string) (*TokenInfo, error) {
	if token == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidToken)
	}
	// keyed by hash so that the cache does not hold bearer credentials
	key := sha256.Sum256([]byte(token))
	v.mu.Lock()
	if info, err, ok := v.lookup(key); ok {
		v.mu.Unlock()
		return v.checkExpiry(info, err)
	}
	c, joined := v.inflight[key]
	if !joined {
		c = &call{done: make(chan struct{})}
		v.inflight[key] = c
	}
	v.mu.Unlock()
	if !joined {
		// the first caller fetches without its own cancellation, so our ctx alone bounds our wait
		go v.fetch(key, token, c)
	}
	select {
	case <-c.done:
		return v.checkExpiry(c.info, c.err)
	case <-ctx.Done():
		return nil, fmt.Errorf("keystone: validate token: %w", ctx.Err())
	}
}

func (v *Validator) checkExpiry(info *TokenInfo, err error) (*TokenInfo, error) {
	if err != nil {
		return nil, err
	}
	if info.Expired(v.opt.Now()) {
		return nil, fmt.Errorf("%w: expired at %s", ErrInvalidToken, info.ExpiresAt.Format(time.RFC3339))
	}
	return info, nil
}

func (v *Validator) fetch(key [32]byte, token string, c *call) {
	c.info, c.err = v.ask(context.Background(), token)
	v.mu.Lock()
	delete(v.inflight, key)
	v.store(key, c.info, c.err)
	v.mu.Unlock()
	close(c.done)
}

// ask calls Keystone, fetching the service token anew once if Keystone refused it.
func (v *Validator) ask(ctx context.Context, token string) (*TokenInfo, error) {
	if v.opt.ServiceToken == nil {
		return v.client.Validate(ctx, token, token)
	}
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		var svc string
		if svc, err = v.opt.ServiceToken.Token(ctx); err != nil {
			return nil, fmt.Errorf("keystone: service token: %w", err)
		}
		var info *TokenInfo
		if info, err = v.client.Validate(ctx, svc, token); !errors.Is(err, ErrServiceTokenRejected) {
			return info, err
		}
		inv, ok := v.opt.ServiceToken.(interface{ Invalidate() })
		if !ok {
			break
		}
		inv.Invalidate()
	}
	return nil, err
}

// lookup returns a fresh cache entry; v.mu must be held.
func (v *Validator) lookup(key [32]byte) (*TokenInfo, error, bool) {
	el, ok := v.entries[key]
	if !ok {
		return nil, nil, false
	}
	e := el.Value.(*entry)
	if !v.opt.Now().Before(e.expires) {
		v.lru.Remove(el)
		delete(v.entries, key)
		return nil, nil, false
	}
	v.lru.MoveToFront(el)
	return e.info, e.err, true
}

// store caches a verdict; only Keystone's own verdicts are cached, not transport errors. v.mu must be held.
func (v *Validator) store(key [32]byte, info *TokenInfo, err error) {
	now := v.opt.Now()
	var expires time.Time
	switch {
	case err == nil:
		expires = now.Add(v.opt.TTL)
		if info.ExpiresAt.Before(expires) {
			expires = info.ExpiresAt
		}
	case errors.Is(err, ErrInvalidToken) && v.opt.NegativeTTL > 0:
		expires = now.Add(v.opt.NegativeTTL)
	default:
		return
	}
	if el, ok := v.entries[key]; ok {
		v.lru.Remove(el)
	}
	v.entries[key] = v.lru.PushFront(&entry{key: key, info: info, err: err, expires: expires})
	for v.lru.Len() > v.opt.MaxEntries {
		old := v.lru.Back()
		v.lru.Remove(old)
		delete(v.entries, old.Value.(*entry).key)
	}
}

// Len is the number of cached verdicts.
func (v *Validator) Len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.lru.Len()
}
