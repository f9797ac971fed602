package sessioncache

import (
	"context"
	"errors"
	"testing"
	"time"
)

// expired is the condition of clear --expired.
func expired(e *Entry, err error) bool {
	return err == nil && !e.Credentials.Expiration.After(time.Now())
}

func TestDeleteIfKeepsAnEntryRefreshedMeanwhile(t *testing.T) {
	c := newTestCache(t, nil)
	putEntry(t, c, testKey, testEntry("ASIAOLD", time.Now().Add(-time.Hour)))

	// A process refreshes the entry just as DeleteIf has decided: it
	// takes the lock, as a Provider does, and writes a fresh entry.
	refreshed := make(chan error, 1)
	waiting := make(chan struct{})
	other := NewFileCache(c.dir, func(o *FileCacheOptions) {
		o.OnWait = func(LockHolder) { close(waiting) }
	})
	setLockWaitNotice(t, 0)
	old := testHookBeforeDelete
	testHookBeforeDelete = func(key string) {
		go func() {
			_, err := newTestProvider(&fakeFetcher{key: key}, other, nil).Retrieve(context.Background())
			refreshed <- err
		}()
		// The refresh waits for DeleteIf's lock: it cannot write before
		// the delete.
		select {
		case <-waiting:
		case err := <-refreshed:
			t.Errorf("the refresh finished (%v) while DeleteIf held the lock", err)
			refreshed <- err
		}
	}
	t.Cleanup(func() { testHookBeforeDelete = old })

	removed, err := c.DeleteIf(context.Background(), testKey, expired)
	if err != nil || !removed {
		t.Fatalf("DeleteIf = %v, %v; want the expired entry removed", removed, err)
	}
	if err := <-refreshed; err != nil {
		t.Fatal(err)
	}
	e, err := c.Get(testKey)
	if err != nil || e.Credentials.AccessKeyID == "ASIAOLD" {
		t.Fatalf("after the refresh, Get = %v, %v; want the refreshed entry", e, err)
	}

	// The entry is now fresh: decided again under the lock, it stays.
	testHookBeforeDelete = old
	removed, err = c.DeleteIf(context.Background(), testKey, expired)
	if err != nil || removed {
		t.Errorf("DeleteIf of a fresh entry = %v, %v; want it kept", removed, err)
	}
	if _, err := c.Get(testKey); err != nil {
		t.Errorf("the fresh entry is gone: %v", err)
	}
}

func TestDeleteIfWithoutConditionRemoves(t *testing.T) {
	c := newTestCache(t, nil)
	putEntry(t, c, testKey, testEntry("ASIAOLD", time.Now().Add(time.Hour)))
	if removed, err := c.DeleteIf(context.Background(), testKey, nil); err != nil || !removed {
		t.Fatalf("DeleteIf = %v, %v", removed, err)
	}
	if _, err := c.Get(testKey); !errors.Is(err, ErrNotCached) {
		t.Errorf("Get after DeleteIf: %v, want ErrNotCached", err)
	}
	if removed, err := c.DeleteIf(context.Background(), testKey, nil); err != nil || removed {
		t.Errorf("DeleteIf of a missing entry = %v, %v; want false, nil", removed, err)
	}
}
